/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two VMMs and one unix socket path: a live socket is never taken over,
 * a stale one is replaced, and a VMM removes at exit only the socket file
 * it created itself.
 */
#include <errno.h>
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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp-sockets/unix-in-use", test_in_use);
	g_test_add_func("/qmp-sockets/unix-stale", test_stale);
	g_test_add_func("/qmp-sockets/unix-exit-keeps-other",
			test_exit_keeps_other);
	return g_test_run();
}
