/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-chardev: labels, and filenames computed here from the test's own
 * side of each socket (getsockname() of the client), for unix and TCP
 * servers with and without a client and for connections kvmage makes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "libqmp.h"

/* The filename query-chardev gives for @label, or NULL. */
static char *chardev_filename(QmpConn *c, const char *label)
{
	g_autoptr(JsonNode)
		ret = qmp_cmd_return(c, "{'execute':'query-chardev'}");
	JsonArray *a = json_node_get_array(ret);
	guint i;

	for (i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);

		g_assert_true(
			json_object_get_boolean_member(o, "frontend-open"));
		if (!strcmp(json_object_get_string_member(o, "label"), label))
			return g_strdup(
				json_object_get_string_member(o, "filename"));
	}
	return NULL;
}

/* Connect to 127.0.0.1:@port; the local port goes to *@local. */
static int tcp_connect(int port, int *local)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), ==,
			0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sin, &len), ==, 0);
	*local = ntohs(sin.sin_port);
	return fd;
}

/* The greeting arrives on @fd. */
static void assert_greeting(int fd)
{
	char buf[9] = "";

	g_assert_cmpint(recv(fd, buf, 8, MSG_WAITALL), ==, 8);
	g_assert_cmpstr(buf, ==, "{\"QMP\": ");
}

/* Poll query-chardev until @label's filename is @want. */
static void wait_filename(QmpConn *c, const char *label, const char *want)
{
	g_autofree char *got = NULL;
	int i;

	for (i = 0; i < 500; i++) {
		g_free(got);
		got = chardev_filename(c, label);
		if (!g_strcmp0(got, want))
			return;
		g_usleep(10000);
	}
	g_assert_cmpstr(got, ==, want);
}

/* -qmp is compat_monitor0; a -chardev TCP server on port 0 shows its port. */
static void test_servers(void)
{
	const char *args[] = { "-chardev",
			       "socket,id=tcp0,host=127.0.0.1,port=0,"
			       "server=on,wait=off",
			       "-mon",
			       "chardev=tcp0,mode=control",
			       "-qmp",
			       "unix:@DIR@/idle.sock,server=on,wait=off",
			       NULL };
	QmpProc *p = qmp_proc_start(NULL, args);
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autofree char *self = g_strdup_printf("unix:%s,server=on", p->sock);
	g_autofree char *idle =
		g_strdup_printf("disconnected:unix:%s/idle.sock,server=on",
				p->dir);
	g_autofree char *f = NULL, *want = NULL;
	int port = 0, local, fd;

	f = chardev_filename(c, "compat_monitor0");
	g_assert_cmpstr(f, ==, self);
	g_free(f);
	f = chardev_filename(c, "compat_monitor1");
	g_assert_cmpstr(f, ==, idle);
	g_free(f);
	f = chardev_filename(c, "tcp0");
	g_assert_nonnull(f);
	g_assert_cmpint(sscanf(f, "disconnected:tcp:127.0.0.1:%d,server=on",
			       &port),
			==, 1);
	g_assert_cmpint(port, >, 0);
	g_assert_cmpint(port, <, 65536);
	want = g_strdup_printf("disconnected:tcp:127.0.0.1:%d,server=on", port);
	g_assert_cmpstr(f, ==, want);

	/* the port is real: a client gets the greeting and is named */
	fd = tcp_connect(port, &local);
	assert_greeting(fd);
	g_free(want);
	want = g_strdup_printf("tcp:127.0.0.1:%d,server=on <-> 127.0.0.1:%d",
			       port, local);
	wait_filename(c, "tcp0", want);
	close(fd);
	g_free(want);
	want = g_strdup_printf("disconnected:tcp:127.0.0.1:%d,server=on", port);
	wait_filename(c, "tcp0", want);
	qmp_conn_free(c);
	qmp_proc_free(p);
}

/* server=off: "unix:" while connected, the path once the peer left. */
static void test_client_mode(void)
{
	g_autofree char *dir = g_dir_make_tmp("qmp-test-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "mgmt.sock", NULL);
	g_autofree char *qmp = g_strdup_printf("unix:%s", path);
	g_autofree char *gone = g_strdup_printf("disconnected:unix:%s", path);
	const char *args[] = { "-qmp", qmp, NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), fd;
	QmpProc *p;
	QmpConn *c;

	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	g_assert_cmpint(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	g_assert_cmpint(listen(lfd, 1), ==, 0);
	p = qmp_proc_start(NULL, args);
	fd = accept(lfd, NULL, NULL);
	g_assert_cmpint(fd, >=, 0);
	assert_greeting(fd);
	c = qmp_conn_negotiated(p->sock);
	wait_filename(c, "compat_monitor1", "unix:");
	close(fd);
	wait_filename(c, "compat_monitor1", gone);
	qmp_conn_free(c);
	qmp_proc_free(p);
	close(lfd);
	unlink(path);
	rmdir(dir);
}

/* @opt @arg must be refused with one line naming both and @want. */
static void refused(const char *opt, const char *arg, const char *want)
{
	const char *args[] = { "-machine", "none", opt, arg, NULL };
	g_autofree char *err = qmp_run_refused(NULL, args);
	g_autofree char *prefix = g_strdup_printf("kvmage: %s %s: ", opt, arg);

	g_test_message("%s %s -> %s", opt, arg, err);
	g_assert_true(g_str_has_prefix(err, prefix));
	g_assert_nonnull(strstr(err, want));
	/* one line */
	g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);
}

/* Ports are 1-65535 in decimal; 0 only for a server. */
static void test_bad_ports(void)
{
	static const char *const bad[] = { "99999", "65536", "http", "+80",
					   "-1",    "0x50",  "8 0",  "" };
	guint i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *qmp =
			g_strdup_printf("tcp:127.0.0.1:%s,server=on,wait=off",
					bad[i]);
		g_autofree char *cd =
			g_strdup_printf("socket,id=c,host=127.0.0.1,port=%s,server=on,"
					"wait=off",
					bad[i]);
		g_autofree char *want =
			g_strdup_printf("invalid port '%s'", bad[i]);

		/* "tcp:127.0.0.1:" has no port at all: another message */
		if (*bad[i])
			refused("-qmp", qmp, want);
		refused("-chardev", cd, want);
	}
	refused("-qmp", "tcp:127.0.0.1:0,server=off", "only a server");
}

/* tcp::0 listens on a port the kernel chose, which query-chardev names. */
static void test_port_zero(void)
{
	const char *args[] = { "-qmp", "tcp::0,server=on,wait=off", NULL };
	QmpProc *p = qmp_proc_start(NULL, args);
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autofree char *f = chardev_filename(c, "compat_monitor1");
	int port = 0, local, fd;

	g_assert_nonnull(f);
	g_assert_cmpint(sscanf(f, "disconnected:tcp:127.0.0.1:%d,server=on",
			       &port),
			==, 1);
	g_assert_cmpint(port, >, 0);
	fd = tcp_connect(port, &local);
	assert_greeting(fd);
	close(fd);
	qmp_conn_free(c);
	qmp_proc_free(p);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp-chardev/servers", test_servers);
	g_test_add_func("/qmp-chardev/client-mode", test_client_mode);
	g_test_add_func("/qmp-chardev/bad-ports", test_bad_ports);
	g_test_add_func("/qmp-chardev/port-zero", test_port_zero);
	return g_test_run();
}
