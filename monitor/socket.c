/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Listening and connecting sockets for the monitor.  All descriptors are
 * non-blocking and close-on-exec.  Unix sockets are created mode 0600.  A
 * socket file already at the path is replaced only if it is stale (a
 * connect() to it is refused: nobody listens); one that accepts
 * connections belongs to a live process and is an error, as is any other
 * file.  (Two processes starting at the same instant can both see the old
 * file stale; the later bind() then fails rather than stealing a socket.)
 * Locking: none (no shared state).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib-unix.h>

#include "monitor-int.h"
#include "util/error.h"

static bool unix_addr(const char *path, struct sockaddr_un *sun, GError **errp)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		error_setg(errp, "UNIX socket path '%s' is too long", path);
		return false;
	}
	strcpy(sun->sun_path, path);
	return true;
}

/*
 * Is a process accepting connections on the socket file at @sun?  1 yes,
 * 0 no (stale, or gone), -1 cannot tell (@errp set).
 */
static int unix_in_use(const struct sockaddr_un *sun, GError **errp)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ret, err;

	if (fd < 0) {
		error_setg_errno(errp, errno, "Failed to create socket");
		return -1;
	}
	ret = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	err = errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full is still alive */
	if (ret == 0 || err == EAGAIN)
		return 1;
	if (err == ECONNREFUSED || err == ENOENT)
		return 0;
	error_setg_errno(errp, err,
			 "Cannot tell whether '%s' is in use (connect)",
			 sun->sun_path);
	return -1;
}

int monitor_unix_listen(const char *path, struct stat *bound, GError **errp)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, live;

	if (!unix_addr(path, &sun, errp))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error_setg_errno(errp, errno, "Failed to create socket");
		return -1;
	}
	/* Linux gives the socket file the mode of the socket inode. */
	if (fchmod(fd, 0600) < 0) {
		error_setg_errno(errp, errno, "Failed to set mode of socket");
		goto fail;
	}
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		live = unix_in_use(&sun, errp);
		if (live < 0)
			goto fail;
		if (live) {
			error_setg(errp,
				   "UNIX socket path '%s' is in use by "
				   "another process (it accepts connections)",
				   path);
			goto fail;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			error_setg_errno(errp, errno,
					 "Failed to remove stale '%s'", path);
			goto fail;
		}
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		error_setg_errno(errp, errno, "Failed to bind socket to %s",
				 path);
		goto fail;
	}
	/* what monitor_unix_unlink() will recognise as ours */
	if (lstat(path, bound) < 0) {
		error_setg_errno(errp, errno, "Failed to stat %s", path);
		goto fail_unlink;
	}
	if (chmod(path, 0600) < 0) {
		error_setg_errno(errp, errno, "Failed to chmod %s", path);
		goto fail_unlink;
	}
	if (listen(fd, 16) < 0) {
		error_setg_errno(errp, errno, "Failed to listen on socket");
		goto fail_unlink;
	}
	return fd;

fail_unlink:
	unlink(path);
fail:
	close(fd);
	return -1;
}

void monitor_unix_unlink(const char *path, const struct stat *bound)
{
	struct stat st;

	/* someone else's socket now: leave it */
	if (lstat(path, &st) < 0 || st.st_dev != bound->st_dev ||
	    st.st_ino != bound->st_ino)
		return;
	/* nothing to do if it went away meanwhile */
	unlink(path);
}

int monitor_unix_connect(const char *path, GError **errp)
{
	struct sockaddr_un sun;
	int fd;

	if (!unix_addr(path, &sun, errp))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error_setg_errno(errp, errno, "Failed to create socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		error_setg_errno(errp, errno, "Failed to connect to '%s'",
				 path);
		close(fd);
		return -1;
	}
	if (!g_unix_set_fd_nonblocking(fd, TRUE, NULL)) {
		error_setg_errno(errp, errno, "Failed to set O_NONBLOCK");
		close(fd);
		return -1;
	}
	return fd;
}

static struct addrinfo *tcp_resolve(const char *host, const char *port,
				    bool passive, GError **errp)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = passive ? AI_PASSIVE : 0,
	};
	struct addrinfo *res = NULL;
	int rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		error_setg(errp, "address resolution failed for %s:%s: %s",
			   host, port, gai_strerror(rc));
		return NULL;
	}
	return res;
}

/* Try each address of @host:@port; @listen_ or connect. */
static int tcp_open(const char *host, const char *port, bool listen_,
		    GError **errp)
{
	struct addrinfo *res = tcp_resolve(host, port, listen_, errp), *ai;
	int fd = -1, one = 1, err = 0;

	if (!res)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (listen_ ? (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
					  sizeof(one)) == 0 &&
			       bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
			       listen(fd, 16) == 0) :
			      connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		error_setg_errno(errp, err, "Failed to %s %s:%s",
				 listen_ ? "listen on" : "connect to", host,
				 port);
		return -1;
	}
	if (!g_unix_set_fd_nonblocking(fd, TRUE, NULL)) {
		error_setg_errno(errp, errno, "Failed to set O_NONBLOCK");
		close(fd);
		return -1;
	}
	return fd;
}

int monitor_tcp_listen(const char *host, const char *port, GError **errp)
{
	return tcp_open(host, port, true, errp);
}

int monitor_tcp_connect(const char *host, const char *port, GError **errp)
{
	return tcp_open(host, port, false, errp);
}

MonitorReach monitor_tcp_reach(int fd, char **addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	*addr = NULL;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return MON_REACH_UNKNOWN;
	if (!getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv,
			 sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV))
		*addr = g_strdup_printf(ss.ss_family == AF_INET6 ? "[%s]:%s" :
								   "%s:%s",
					host, serv);
	if (ss.ss_family == AF_INET) {
		in_addr_t a = ntohl(in4->sin_addr.s_addr);

		if (a == INADDR_ANY)
			return MON_REACH_ALL;
		return (a >> 24) == 127 ? MON_REACH_LOOPBACK :
					  MON_REACH_NETWORK;
	}
	if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a = &in6->sin6_addr;

		if (IN6_IS_ADDR_UNSPECIFIED(a))
			return MON_REACH_ALL;
		if (IN6_IS_ADDR_LOOPBACK(a) ||
		    (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127))
			return MON_REACH_LOOPBACK;
		return MON_REACH_NETWORK;
	}
	return MON_REACH_UNKNOWN;
}
