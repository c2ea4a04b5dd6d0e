/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Migration URIs: unix:PATH, tcp:HOST:PORT, file:PATH, exec:COMMAND.
 * Locking: none; each call works on its own fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migration-int.h"
#include "util/error.h"

bool mig_uri_valid(const char *uri)
{
	return g_str_has_prefix(uri, "unix:") ||
	       g_str_has_prefix(uri, "tcp:") ||
	       g_str_has_prefix(uri, "file:") || g_str_has_prefix(uri, "exec:");
}

static bool mig_unix_addr(const char *path, struct sockaddr_un *sa,
			  GError **errp)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		error_setg(errp, "UNIX socket path '%s' is too long", path);
		return false;
	}
	strcpy(sa->sun_path, path);
	return true;
}

/* A socket connected to or listening on @uri (unix: or tcp:). */
static int mig_socket(const char *uri, bool listen_, GError **errp)
{
	g_autofree char *host = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	struct sockaddr_un sa;
	const char *port;
	int fd, r, one = 1;

	if (g_str_has_prefix(uri, "unix:")) {
		if (!mig_unix_addr(uri + 5, &sa, errp))
			return -1;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto sys_err;
		if (listen_) {
			unlink(sa.sun_path); /* a stale socket; ENOENT is fine */
			r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		} else {
			r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		}
		goto done;
	}
	port = strrchr(uri + 4, ':');
	if (!port) {
		error_setg(errp, "address '%s' has no port", uri + 4);
		return -1;
	}
	host = g_strndup(uri + 4, port - (uri + 4));
	hints.ai_flags = listen_ ? AI_PASSIVE : 0;
	r = getaddrinfo(*host ? host : NULL, port + 1, &hints, &ai);
	if (r) {
		error_setg(errp, "address resolution failed for %s:%s: %s",
			   host, port + 1, gai_strerror(r));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		goto sys_err;
	}
	/* best effort: a restarted destination can rebind at once */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	r = listen_ ? bind(fd, ai->ai_addr, ai->ai_addrlen) :
		      connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
done:
	if (r == 0 && listen_)
		r = listen(fd, 1);
	if (r == 0)
		return fd;
	error_setg_errno(errp, errno, "Failed to %s socket '%s'",
			 listen_ ? "bind" : "connect", uri);
	close(fd);
	return -1;
sys_err:
	error_setg_errno(errp, errno, "Failed to create socket");
	return -1;
}

/* exec:COMMAND through /bin/sh -c; the stream is its stdin or stdout. */
static bool mig_exec(const char *cmd, MigChannel *ch, bool out, GError **errp)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int fd;

	if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
				      G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				      &ch->pid, out ? &fd : NULL,
				      out ? NULL : &fd, NULL, errp))
		return false;
	ch->fd = fd;
	return true;
}

bool mig_uri_connect(const char *uri, MigChannel *ch, GError **errp)
{
	ch->pid = 0;
	if (g_str_has_prefix(uri, "file:")) {
		ch->fd = open(uri + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0600);
		if (ch->fd < 0)
			error_setg_errno(errp, errno, "Could not open '%s'",
					 uri + 5);
		return ch->fd >= 0;
	}
	if (g_str_has_prefix(uri, "exec:"))
		return mig_exec(uri + 5, ch, true, errp);
	ch->fd = mig_socket(uri, false, errp);
	return ch->fd >= 0;
}

bool mig_uri_listen(const char *uri, MigChannel *ch, bool *listening,
		    GError **errp)
{
	ch->pid = 0;
	*listening = false;
	if (g_str_has_prefix(uri, "file:")) {
		ch->fd = open(uri + 5, O_RDONLY | O_CLOEXEC);
		if (ch->fd < 0)
			error_setg_errno(errp, errno, "Could not open '%s'",
					 uri + 5);
		return ch->fd >= 0;
	}
	if (g_str_has_prefix(uri, "exec:"))
		return mig_exec(uri + 5, ch, false, errp);
	*listening = true;
	ch->fd = mig_socket(uri, true, errp);
	return ch->fd >= 0;
}

int mig_uri_accept(int lfd, GError **errp)
{
	int fd;

	do {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		error_setg_errno(errp, errno, "Failed to accept a connection");
	close(lfd);
	return fd;
}

void mig_channel_close(MigChannel *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	if (ch->pid) {
		/* the child ends with its pipe; its status is not needed */
		(void)waitpid(ch->pid, NULL, 0);
		ch->pid = 0;
	}
}
