/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The monitor as a server: several clients, clients that vanish or
 * flood, socket permissions, tcp, stdio, -chardev/-mon, run-state
 * commands and quit.  Tests that need the test server's knobs skip when
 * $KVMAGE_BINARY is set.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "libqmp.h"

/* what every VMM started here gets, as in qmp_proc_start() */
#define NONE_MACHINE "-machine", "none", "-display", "none", "-nodefaults"

static bool real_binary(void)
{
	const char *b = g_getenv("KVMAGE_BINARY");

	return b && *b;
}

static void test_socket_mode(void)
{
	QmpProc *p = qmp_proc_start(NULL, NULL);
	struct stat st;

	g_assert_cmpint(lstat(p->sock, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	qmp_proc_free(p);
}

static void test_clients(void)
{
	QmpProc *p = qmp_proc_start(NULL, NULL);
	QmpConn *c[4];
	g_autofree char *r0 = NULL, *r1 = NULL, *r2 = NULL;
	int i;

	for (i = 0; i < 4; i++)
		c[i] = qmp_conn_new(p->sock);
	/* negotiation state is per client */
	r0 = qmp_cmd_line(c[0], "{\"execute\":\"qmp_capabilities\"}");
	g_assert_cmpstr(r0, ==, "{\"return\": {}}");
	r1 = qmp_cmd_line(c[1], "{\"execute\":\"query-status\"}");
	g_assert_true(g_str_has_prefix(r1, "{\"error\": {\"class\": "
					   "\"CommandNotFound\""));
	r2 = qmp_cmd_line(c[0], "{\"execute\":\"query-status\"}");
	g_assert_true(g_str_has_prefix(r2, "{\"return\": "));
	/* interleaved partial messages from two clients don't mix */
	qmp_send(c[2], "{\"execute\":\"qmp_capa");
	qmp_send(c[3], "{\"execute\":\"qmp_capabilities\",\"id\":3");
	qmp_send(c[2], "bilities\",\"id\":2}");
	qmp_send(c[3], "}");
	g_free(r1);
	r1 = qmp_recv_line(c[2], QMP_TIMEOUT_MS);
	g_assert_cmpstr(r1, ==, "{\"return\": {}, \"id\": 2}");
	g_free(r1);
	r1 = qmp_recv_line(c[3], QMP_TIMEOUT_MS);
	g_assert_cmpstr(r1, ==, "{\"return\": {}, \"id\": 3}");
	for (i = 0; i < 4; i++)
		qmp_conn_free(c[i]);
	qmp_proc_free(p);
}

/* Two -qmp sockets: separate servers, events reach clients of both. */
static void test_two_monitors(void)
{
	g_autofree char *dir = g_dir_make_tmp("qmp-test-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(dir, "second.sock", NULL);
	g_autofree char *qmp =
		g_strdup_printf("unix:%s,server=on,wait=off", sock);
	const char *args[] = { "-qmp", qmp, NULL };
	QmpProc *p = qmp_proc_start(NULL, args);
	QmpConn *a = qmp_conn_negotiated(p->sock);
	QmpConn *b = qmp_conn_negotiated(sock);
	g_autofree char *r = NULL, *ev = NULL;

	r = qmp_cmd_line(b, "{\"execute\":\"stop\"}");
	g_assert_cmpstr(r, ==, "{\"return\": {}}");
	ev = qmp_event_wait(a, "STOP", QMP_TIMEOUT_MS);
	g_assert_nonnull(ev);
	g_free(qmp_cmd_line(a, "{\"execute\":\"cont\"}"));
	qmp_conn_free(a);
	qmp_conn_free(b);
	qmp_proc_free(p);
	unlink(sock);
	rmdir(dir);
}

static void test_vanishing(void)
{
	QmpProc *p = qmp_proc_start(NULL, NULL);
	QmpConn *keep = qmp_conn_negotiated(p->sock), *c;
	g_autofree char *r = NULL;
	int i;

	for (i = 0; i < 50; i++) {
		c = qmp_conn_open(p->sock);
		switch (i % 4) {
		case 0: /* half a message */
			qmp_send(c, "{\"execute\":\"qmp_capabilities\",\"id");
			break;
		case 1: /* a command whose reply can't be delivered */
			qmp_send(c, "{\"execute\":\"qmp_capabilities\"}"
				    "{\"execute\":\"query-qmp-schema\"}");
			break;
		case 2: /* nothing at all */
			break;
		case 3: /* a stop: the event reaches a closed client */
			qmp_send(c,
				 "{\"execute\":\"qmp_capabilities\"}"
				 "{\"execute\":\"stop\"}{\"execute\":\"cont\"}");
			break;
		}
		qmp_conn_free(c);
	}
	r = qmp_cmd_line(keep, "{\"execute\":\"query-status\",\"id\":1}");
	g_assert_true(g_str_has_suffix(r, "\"id\": 1}"));
	qmp_conn_free(keep);
	g_assert_false(qmp_proc_wait(p, 0));
	qmp_proc_free(p);
}

static void test_flood(void)
{
	QmpProc *p = qmp_proc_start(NULL, NULL);
	QmpConn *flood = qmp_conn_negotiated(p->sock);
	QmpConn *other = qmp_conn_negotiated(p->sock);
	GString *batch = g_string_new(NULL);
	int i, n = 20000, sent = 0;
	const char *partial = NULL;
	g_autofree char *r = NULL;

	for (i = 0; i < 100; i++)
		g_string_append(batch, "{\"execute\":\"query-version\"}");
	/* write without reading until the server stops reading us */
	g_assert_true(g_unix_set_fd_nonblocking(flood->fd, TRUE, NULL));
	while (sent < n) {
		ssize_t w =
			send(flood->fd, batch->str, batch->len, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN)
			break;
		g_assert_cmpint(w, >, 0);
		sent += 100;
		if (w < (ssize_t)batch->len) {
			/* finish this batch later, once replies are read */
			partial = batch->str + w;
			break;
		}
	}
	g_assert_cmpint(sent, <, n); /* flow control kicked in */
	g_test_message("server stopped reading after %d commands", sent);
	/* the other client is served meanwhile */
	r = qmp_cmd_line(other, "{\"execute\":\"query-status\",\"id\":7}");
	g_assert_true(g_str_has_suffix(r, "\"id\": 7}"));
	/* and the flooder gets every reply once it reads */
	g_assert_true(g_unix_set_fd_nonblocking(flood->fd, FALSE, NULL));
	if (partial) {
		/* the server must be reading again as we drain replies */
		for (i = 0; i < 100; i++) {
			g_autofree char *l =
				qmp_recv_line(flood, QMP_TIMEOUT_MS);

			g_assert_nonnull(l);
		}
		qmp_send(flood, partial);
		sent -= 100;
	}
	for (i = 0; i < sent; i++) {
		g_autofree char *l = qmp_recv_line(flood, QMP_TIMEOUT_MS);

		g_assert_nonnull(l);
		g_assert_true(g_str_has_prefix(l, "{\"return\": {\"qemu\""));
	}
	g_string_free(batch, TRUE);
	qmp_conn_free(other);
	qmp_conn_free(flood);
	qmp_proc_free(p);
}

static void test_quit(void)
{
	QmpProc *p = qmp_proc_start(NULL, NULL);
	QmpConn *a = qmp_conn_negotiated(p->sock);
	QmpConn *b = qmp_conn_negotiated(p->sock);
	g_autofree char *ev = NULL, *r = NULL, *evb = NULL;
	struct stat st;

	qmp_send(a, "{\"execute\":\"quit\",\"id\":\"q\"}");
	ev = qmp_recv_line(a, QMP_TIMEOUT_MS);
	g_assert_nonnull(strstr(ev, "\"event\": \"SHUTDOWN\", \"data\": "
				    "{\"guest\": false, \"reason\": "
				    "\"host-qmp-quit\"}}"));
	r = qmp_recv_line(a, QMP_TIMEOUT_MS);
	g_assert_cmpstr(r, ==, "{\"return\": {}, \"id\": \"q\"}");
	evb = qmp_event_wait(b, "SHUTDOWN", QMP_TIMEOUT_MS);
	g_assert_nonnull(evb);
	g_assert_true(qmp_conn_eof(a, QMP_TIMEOUT_MS));
	g_assert_true(qmp_proc_wait(p, QMP_TIMEOUT_MS));
	g_assert_true(WIFEXITED(p->status));
	g_assert_cmpint(WEXITSTATUS(p->status), ==, 0);
	g_assert_cmpint(stat(p->sock, &st), <, 0);
	qmp_conn_free(a);
	qmp_conn_free(b);
	qmp_proc_free(p);
}

static void test_signal(void)
{
	QmpProc *p = qmp_proc_start(NULL, NULL);
	QmpConn *a = qmp_conn_negotiated(p->sock);
	g_autofree char *ev = NULL;

	kill(p->pid, SIGTERM);
	ev = qmp_event_wait(a, "SHUTDOWN", QMP_TIMEOUT_MS);
	g_assert_nonnull(strstr(ev, "\"reason\": \"host-signal\""));
	g_assert_true(qmp_proc_wait(p, QMP_TIMEOUT_MS));
	qmp_conn_free(a);
	qmp_proc_free(p);
}

static void test_prelaunch(void)
{
	static const char *const args[] = { "-S", "-name", "vm\"1", NULL };
	QmpProc *p = qmp_proc_start(NULL, args);
	QmpConn *a = qmp_conn_negotiated(p->sock);
	g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL, *n = NULL;
	g_autofree char *st = NULL;

	s1 = qmp_cmd_line(a, "{\"execute\":\"query-status\"}");
	g_assert_cmpstr(s1, ==,
			"{\"return\": {\"status\": \"prelaunch\", "
			"\"singlestep\": false, \"running\": false}}");
	/* stop in prelaunch changes nothing and sends nothing */
	s2 = qmp_cmd_line(a, "{\"execute\":\"stop\"}");
	g_assert_cmpstr(s2, ==, "{\"return\": {}}");
	g_assert_true(g_queue_is_empty(a->events));
	s3 = qmp_cmd_line(a, "{\"execute\":\"cont\"}");
	g_assert_cmpstr(s3, ==, "{\"return\": {}}");
	g_free(qmp_event_wait(a, "RESUME", QMP_TIMEOUT_MS));
	st = qmp_cmd_line(a, "{\"execute\":\"query-status\"}");
	g_assert_cmpstr(st, ==,
			"{\"return\": {\"status\": \"running\", "
			"\"singlestep\": false, \"running\": true}}");
	n = qmp_cmd_line(a, "{\"execute\":\"query-name\"}");
	g_assert_cmpstr(n, ==, "{\"return\": {\"name\": \"vm\\\"1\"}}");
	qmp_conn_free(a);
	qmp_proc_free(p);
}

static void test_reset(void)
{
	static const char *const no[] = { "--no-reset", NULL };
	QmpProc *p = qmp_proc_start(NULL, NULL);
	QmpConn *a = qmp_conn_negotiated(p->sock);
	g_autofree char *r = NULL, *ev = NULL, *e2 = NULL;

	qmp_send(a, "{\"execute\":\"system_reset\"}");
	ev = qmp_recv_line(a, QMP_TIMEOUT_MS);
	g_assert_nonnull(strstr(ev, "\"event\": \"RESET\", \"data\": "
				    "{\"guest\": false, \"reason\": "
				    "\"host-qmp-system-reset\"}}"));
	r = qmp_recv_line(a, QMP_TIMEOUT_MS);
	g_assert_cmpstr(r, ==, "{\"return\": {}}");
	qmp_conn_free(a);
	qmp_proc_free(p);
	if (real_binary())
		return;
	p = qmp_proc_start(NULL, no);
	a = qmp_conn_negotiated(p->sock);
	e2 = qmp_cmd_line(a, "{\"execute\":\"system_reset\"}");
	g_assert_cmpstr(e2, ==,
			"{\"error\": {\"class\": \"GenericError\", "
			"\"desc\": \"this feature or command is not currently "
			"supported\"}}");
	qmp_conn_free(a);
	qmp_proc_free(p);
}

static void test_hooks(void)
{
	static const char *const args[] = { "--fake-cpus=2",
					    "--memdev=ram0:134217728",
					    "--fail-resume", NULL };
	QmpProc *p;
	QmpConn *a;
	g_autofree char *cpus = NULL, *mem = NULL, *sum = NULL, *c = NULL;

	if (real_binary()) {
		g_test_skip("needs the test server's hooks");
		return;
	}
	p = qmp_proc_start(NULL, args);
	a = qmp_conn_negotiated(p->sock);
	cpus = qmp_cmd_line(a, "{\"execute\":\"query-cpus-fast\"}");
	g_assert_nonnull(strstr(cpus, "\"qom-path\": "
				      "\"/machine/unattached/device[1]\""));
	g_assert_nonnull(strstr(cpus, "\"props\": {\"core-id\": 1}"));
	g_assert_nonnull(strstr(cpus, "\"target\": \"x86_64\""));
	mem = qmp_cmd_line(a, "{\"execute\":\"query-memdev\"}");
	g_assert_nonnull(strstr(mem, "\"id\": \"ram0\""));
	g_assert_nonnull(strstr(mem, "\"size\": 134217728"));
	g_assert_nonnull(strstr(mem, "\"host-nodes\": []"));
	sum = qmp_cmd_line(a, "{\"execute\":\"query-memory-size-summary\"}");
	g_assert_cmpstr(sum, ==,
			"{\"return\": {\"base-memory\": 134217728, "
			"\"plugged-memory\": 0}}");
	g_free(qmp_cmd_line(a, "{\"execute\":\"stop\"}"));
	c = qmp_cmd_line(a, "{\"execute\":\"cont\"}");
	g_assert_cmpstr(c, ==,
			"{\"error\": {\"class\": \"GenericError\", "
			"\"desc\": \"vCPUs cannot be resumed (test)\"}}");
	qmp_conn_free(a);
	qmp_proc_free(p);
}

static void test_thread_event(void)
{
	static const char *const args[] = { "--thread-event", NULL };
	QmpProc *p;
	QmpConn *a;
	int i;

	if (real_binary()) {
		g_test_skip("needs the test server's hooks");
		return;
	}
	p = qmp_proc_start(NULL, args);
	a = qmp_conn_negotiated(p->sock);
	for (i = 0; i < 3; i++) {
		g_autofree char *ev =
			qmp_event_wait(a, "RESET", QMP_TIMEOUT_MS);

		g_assert_nonnull(ev);
		g_assert_nonnull(strstr(ev, "{\"guest\": true, \"reason\": "
					    "\"guest-reset\"}"));
	}
	qmp_conn_free(a);
	qmp_proc_free(p);
}

/* Run the binary with @args and return its exit status and stderr. */
static int run_status(const char *const *args, char **err_out)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	GError *err = NULL;
	int status, i;

	g_ptr_array_add(argv, (char *)qmp_test_binary());
	g_ptr_array_add(argv, "-machine");
	g_ptr_array_add(argv, "none");
	for (i = 0; args[i]; i++)
		g_ptr_array_add(argv, (char *)args[i]);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL, (char **)argv->pdata, NULL,
		     G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, err_out,
		     &status, &err);
	g_assert_no_error(err);
	return status;
}

static void test_bad_options(void)
{
	static const char *const bad[][5] = {
		{ "-qmp", "foo:bar", NULL },
		{ "-qmp", "unix:/tmp/x,server=maybe", NULL },
		{ "-qmp", "unix:/tmp/x,bogus=1", NULL },
		{ "-mon", "chardev=nope,mode=control", NULL },
		{ "-mon", "chardev=x", NULL },
		{ "-chardev", "socket,path=/tmp/x", NULL },
		{ "-chardev", "file,id=x,path=/tmp/x", NULL },
		{ "-qmp", "unix:/nonexistent-dir/x.sock,server=on,wait=off",
		  NULL },
		{ "-qmp", "stdio", "-qmp", "stdio", NULL },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *err = NULL;
		int st = run_status(bad[i], &err);

		g_assert_true(WIFEXITED(st));
		g_assert_cmpint(WEXITSTATUS(st), ==, 1);
		g_assert_true(g_str_has_prefix(err, "kvmage: "));
		g_assert_nonnull(strstr(err, bad[i][0]));
	}
}

static void test_chardev_mon(void)
{
	g_autofree char *dir = g_dir_make_tmp("qmp-test-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(dir, "m.sock", NULL);
	g_autofree char *cd =
		g_strdup_printf("socket,id=mon0,path=%s,server=on,wait=off",
				sock);
	const char *argv[] = { qmp_test_binary(),
			       NONE_MACHINE,
			       "-chardev",
			       cd,
			       "-mon",
			       "chardev=mon0,mode=control",
			       NULL };
	GPid pid;
	QmpConn *c;
	int status;

	g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
				    G_SPAWN_DO_NOT_REAP_CHILD, qmp_child_setup,
				    NULL, &pid, NULL));
	qmp_wait_path(sock, NULL);
	c = qmp_conn_negotiated(sock);
	g_free(qmp_cmd_line(c, "{\"execute\":\"quit\"}"));
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	qmp_conn_free(c);
	g_spawn_close_pid(pid);
	rmdir(dir);
}

/* server=on without wait=off: kvmage waits for the first client. */
static void test_wait_on(void)
{
	g_autofree char *dir = g_dir_make_tmp("qmp-test-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(dir, "w.sock", NULL);
	g_autofree char *qmp = g_strdup_printf("unix:%s,server=on", sock);
	const char *argv[] = { qmp_test_binary(), NONE_MACHINE, "-qmp", qmp,
			       NULL };
	g_autofree char *r = NULL;
	QmpConn *c;
	GPid pid;
	int status;

	g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
				    G_SPAWN_DO_NOT_REAP_CHILD |
					    G_SPAWN_STDERR_TO_DEV_NULL,
				    qmp_child_setup, NULL, &pid, NULL));
	qmp_wait_path(sock, NULL);
	c = qmp_conn_negotiated(sock);
	r = qmp_cmd_line(c, "{\"execute\":\"quit\"}");
	g_assert_cmpstr(r, ==, "{\"return\": {}}");
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	qmp_conn_free(c);
	g_spawn_close_pid(pid);
	rmdir(dir);
}

/* server=off: kvmage connects to the management side's socket. */
static void test_client_mode(void)
{
	g_autofree char *dir = g_dir_make_tmp("qmp-test-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(dir, "c.sock", NULL);
	g_autofree char *qmp = g_strdup_printf("unix:%s", sock);
	const char *argv[] = { qmp_test_binary(), NONE_MACHINE, "-qmp", qmp,
			       NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_autofree char *r = NULL;
	QmpConn *c = g_new0(QmpConn, 1);
	int lfd, status;
	GPid pid;

	g_strlcpy(sun.sun_path, sock, sizeof(sun.sun_path));
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	g_assert_cmpint(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	g_assert_cmpint(listen(lfd, 1), ==, 0);
	g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
				    G_SPAWN_DO_NOT_REAP_CHILD, qmp_child_setup,
				    NULL, &pid, NULL));
	c->fd = accept(lfd, NULL, NULL);
	g_assert_cmpint(c->fd, >=, 0);
	c->buf = g_string_new(NULL);
	c->events = g_queue_new();
	c->greeting = qmp_recv_line(c, QMP_TIMEOUT_MS);
	g_assert_true(g_str_has_prefix(c->greeting, "{\"QMP\": "));
	g_free(qmp_cmd_line(c, "{\"execute\":\"qmp_capabilities\"}"));
	r = qmp_cmd_line(c, "{\"execute\":\"quit\"}");
	g_assert_cmpstr(r, ==, "{\"return\": {}}");
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	qmp_conn_free(c);
	close(lfd);
	unlink(sock);
	g_spawn_close_pid(pid);
	rmdir(dir);
}

static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sin, &len), ==, 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void test_tcp(void)
{
	int port = free_port(), fd, i;
	g_autofree char *qmp =
		g_strdup_printf("tcp::%d,server=on,wait=off", port);
	const char *argv[] = { qmp_test_binary(), NONE_MACHINE, "-qmp", qmp,
			       NULL };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	char buf[16] = "";
	GPid pid;

	g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
				    G_SPAWN_DO_NOT_REAP_CHILD, qmp_child_setup,
				    NULL, &pid, NULL));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (gint64 end = timescale_deadline(QMP_TIMEOUT_MS);;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			break;
		close(fd);
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
	/* an empty host means loopback: the greeting arrives on 127.0.0.1 */
	g_assert_cmpint(recv(fd, buf, 8, MSG_WAITALL), ==, 8);
	g_assert_cmpstr(buf, ==, "{\"QMP\": ");
	close(fd);
	kill(pid, SIGTERM);
	g_assert_cmpint(waitpid(pid, &i, 0), ==, pid);
	g_spawn_close_pid(pid);
}

static void test_stdio(void)
{
	const char *argv[] = { qmp_test_binary(), NONE_MACHINE, "-qmp", "stdio",
			       NULL };
	g_autofree char *out = NULL;
	GError *err = NULL;
	const char *in = "{\"execute\":\"qmp_capabilities\"}"
			 "{\"execute\":\"query-status\"}{\"execute\":\"quit\"}";
	int in_fd, out_fd, status;
	GPid pid;
	char buf[4096];
	GString *all = g_string_new(NULL);
	ssize_t n;

	g_assert_true(g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
					       G_SPAWN_DO_NOT_REAP_CHILD,
					       qmp_child_setup, NULL, &pid,
					       &in_fd, &out_fd, NULL, &err));
	g_assert_cmpint(write(in_fd, in, strlen(in)), ==, (ssize_t)strlen(in));
	while ((n = read(out_fd, buf, sizeof(buf))) > 0)
		g_string_append_len(all, buf, n);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	out = g_string_free(all, FALSE);
	g_assert_true(g_str_has_prefix(out, "{\"QMP\": "));
	g_assert_nonnull(strstr(out, "\r\n{\"return\": {}}\r\n{\"return\": "
				     "{\"status\": \"running\""));
	g_assert_true(g_str_has_suffix(out, "{\"return\": {}}\r\n"));
	close(in_fd);
	close(out_fd);
	g_spawn_close_pid(pid);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp-server/socket-mode", test_socket_mode);
	g_test_add_func("/qmp-server/clients", test_clients);
	g_test_add_func("/qmp-server/two-monitors", test_two_monitors);
	g_test_add_func("/qmp-server/vanishing", test_vanishing);
	g_test_add_func("/qmp-server/flood", test_flood);
	g_test_add_func("/qmp-server/quit", test_quit);
	g_test_add_func("/qmp-server/signal", test_signal);
	g_test_add_func("/qmp-server/prelaunch", test_prelaunch);
	g_test_add_func("/qmp-server/reset", test_reset);
	g_test_add_func("/qmp-server/hooks", test_hooks);
	g_test_add_func("/qmp-server/thread-event", test_thread_event);
	g_test_add_func("/qmp-server/bad-options", test_bad_options);
	g_test_add_func("/qmp-server/chardev-mon", test_chardev_mon);
	g_test_add_func("/qmp-server/wait-on", test_wait_on);
	g_test_add_func("/qmp-server/client-mode", test_client_mode);
	g_test_add_func("/qmp-server/tcp", test_tcp);
	g_test_add_func("/qmp-server/stdio", test_stdio);
	return g_test_run();
}
