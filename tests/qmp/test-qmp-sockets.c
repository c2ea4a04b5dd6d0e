/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two VMMs and one unix socket path: a live socket is never taken over,
 * a stale one is replaced, and a VMM removes at exit only the socket file
 * it created itself.  A TCP monitor reachable from the network is
 * announced with one warning.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "libqmp.h"

/* A socket file at @path that nobody listens on (its process "died"). */
static void make_stale_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	close(fd);
}

/* The file at @path is the one described by @st. */
static void assert_same_file(const char *path, const struct stat *st)
{
	struct stat now;

	g_assert_cmpint(lstat(path, &now), ==, 0);
	g_assert_cmpuint(now.st_dev, ==, st->st_dev);
	g_assert_cmpuint(now.st_ino, ==, st->st_ino);
}

/* A second VMM on the first one's socket fails and leaves it alone. */
static void test_in_use(void)
{
	QmpProc *a = qmp_proc_start(NULL, NULL);
	g_autofree char *qmp =
		g_strdup_printf("unix:%s,server=on,wait=off", a->sock);
	const char *args[] = { "-machine", "none", "-qmp", qmp, NULL };
	g_autofree char *want =
		g_strdup_printf("kvmage: -qmp %s: UNIX socket path '%s' is in use by another "
				"process",
				qmp, a->sock);
	g_autofree char *err = NULL;
	QmpConn *c;
	struct stat st;

	g_assert_cmpint(lstat(a->sock, &st), ==, 0);
	err = qmp_run_refused(NULL, args);
	g_test_message("second VMM: %s", err);
	g_assert_true(g_str_has_prefix(err, want));
	g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);
	/* the first VMM still owns and serves its socket */
	assert_same_file(a->sock, &st);
	c = qmp_conn_negotiated(a->sock);
	qmp_vm_quit(a, c, QMP_TIMEOUT_MS);
}

/* A socket file nobody listens on is replaced. */
static void test_stale(void)
{
	g_autofree char *dir = g_dir_make_tmp("qmp-test-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "stale.sock", NULL);
	g_autofree char *qmp =
		g_strdup_printf("unix:%s,server=on,wait=off", path);
	const char *args[] = { "-qmp", qmp, NULL };
	QmpProc *p;
	QmpConn *c, *s;

	make_stale_socket(path);
	p = qmp_proc_start(NULL, args);
	c = qmp_conn_negotiated(p->sock);
	s = qmp_conn_negotiated(path);
	qmp_conn_free(s);
	qmp_vm_quit(p, c, QMP_TIMEOUT_MS);
	/* and removed at exit, being the VMM's own */
	g_assert_cmpint(access(path, F_OK), <, 0);
	g_assert_cmpint(errno, ==, ENOENT);
	rmdir(dir);
}

/*
 * The first VMM's socket file is removed and a second VMM creates its
 * own at the same path: when the first exits, the second's stays.
 */
static void test_exit_keeps_other(void)
{
	g_autofree char *dir = g_dir_make_tmp("qmp-test-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "shared.sock", NULL);
	g_autofree char *qmp =
		g_strdup_printf("unix:%s,server=on,wait=off", path);
	const char *args[] = { "-qmp", qmp, NULL };
	QmpProc *a, *b;
	QmpConn *ca, *cb;
	struct stat st;

	a = qmp_proc_start(NULL, args);
	ca = qmp_conn_negotiated(a->sock);
	qmp_conn_free(qmp_conn_negotiated(path));
	g_assert_cmpint(unlink(path), ==, 0);
	b = qmp_proc_start(NULL, args);
	cb = qmp_conn_negotiated(b->sock);
	qmp_conn_free(qmp_conn_negotiated(path));
	g_assert_cmpint(lstat(path, &st), ==, 0);
	qmp_vm_quit(a, ca, QMP_TIMEOUT_MS);
	/* b's socket is still there and still b's */
	assert_same_file(path, &st);
	qmp_conn_free(qmp_conn_negotiated(path));
	qmp_vm_quit(b, cb, QMP_TIMEOUT_MS);
	g_assert_cmpint(access(path, F_OK), <, 0);
	rmdir(dir);
}

/* Standard error of a VMM with -qmp @qmp, from start to quit. */
static char *stderr_of(const char *qmp)
{
	g_autofree char *dir = g_dir_make_tmp("qmp-test-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(dir, "q.sock", NULL);
	g_autofree char *main_qmp =
		g_strdup_printf("unix:%s,server=on,wait=off", sock);
	const char *argv[] = { qmp_test_binary(), "-machine", "none", "-qmp",
			       main_qmp,	  "-qmp",     qmp,    NULL };
	GString *err = g_string_new(NULL);
	GError *error = NULL;
	QmpProc p = { 0 };
	struct stat st;
	char buf[4096];
	QmpConn *c;
	ssize_t n;
	int efd, i;

	g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
				 G_SPAWN_DO_NOT_REAP_CHILD |
					 G_SPAWN_STDOUT_TO_DEV_NULL,
				 qmp_child_setup, NULL, &p.pid, NULL, NULL,
				 &efd, &error);
	g_assert_no_error(error);
	for (i = 0; i < 500 && stat(sock, &st) < 0; i++)
		g_usleep(10000);
	c = qmp_conn_negotiated(sock);
	qmp_cmd_ok(c, "{'execute':'quit'}");
	while ((n = read(efd, buf, sizeof(buf))) > 0)
		g_string_append_len(err, buf, n);
	close(efd);
	g_assert_true(qmp_proc_wait(&p, QMP_TIMEOUT_MS));
	g_spawn_close_pid(p.pid);
	qmp_conn_free(c);
	rmdir(dir);
	g_test_message("-qmp %s: stderr \"%s\"", qmp, err->str);
	return g_string_free(err, FALSE);
}

/* Exactly one warning line, naming the option and saying @what. */
static void assert_warned(const char *qmp, const char *what)
{
	g_autofree char *err = stderr_of(qmp);
	g_autofree char *head =
		g_strdup_printf("kvmage: warning: -qmp %s: the monitor "
				"listens on ",
				qmp);
	g_autofree char *line = NULL;
	const char *w = strstr(err, "warning");

	g_assert_nonnull(w);
	g_assert_null(strstr(w + 1, "warning"));
	g_assert_nonnull(strstr(err, head));
	line = g_strndup(strstr(err, head), strcspn(strstr(err, head), "\n"));
	g_assert_nonnull(strstr(line, what));
	g_assert_nonnull(strstr(line, "reachable from the network and "
				      "unauthenticated"));
}

static void assert_quiet(const char *qmp)
{
	g_autofree char *err = stderr_of(qmp);

	g_assert_null(strstr(err, "warning"));
}

/* An IPv4 address of this host that is not loopback, or NULL. */
static char *host_address(void)
{
	struct ifaddrs *ifa, *i;
	char buf[INET_ADDRSTRLEN];
	char *ret = NULL;

	if (getifaddrs(&ifa) < 0)
		return NULL;
	for (i = ifa; i && !ret; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
			continue;
		inet_ntop(AF_INET,
			  &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf,
			  sizeof(buf));
		ret = g_strdup(buf);
	}
	freeifaddrs(ifa);
	return ret;
}

static void test_tcp_reach(void)
{
	g_autofree char *addr = host_address();

	assert_warned("tcp:0.0.0.0:0,server=on,wait=off", "every interface");
	assert_warned("tcp:[::]:0,server=on,wait=off", "every interface");
	assert_quiet("tcp:127.0.0.1:0,server=on,wait=off");
	assert_quiet("tcp:[::1]:0,server=on,wait=off");
	/* an empty host is loopback in kvmage */
	assert_quiet("tcp::0,server=on,wait=off");
	if (addr) {
		g_autofree char *qmp =
			g_strdup_printf("tcp:%s:0,server=on,wait=off", addr);

		assert_warned(qmp, "not a loopback address");
	} else {
		g_test_message("no non-loopback IPv4 address to listen on");
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp-sockets/unix-in-use", test_in_use);
	g_test_add_func("/qmp-sockets/unix-stale", test_stale);
	g_test_add_func("/qmp-sockets/unix-exit-keeps-other",
			test_exit_keeps_other);
	g_test_add_func("/qmp-sockets/tcp-reach", test_tcp_reach);
	return g_test_run();
}
