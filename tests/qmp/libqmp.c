/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-side QMP client; see libqmp.h.  Locking: single-threaded. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqmp.h"
#include "qapi/json-stream.h"
#include "qapi/qjson.h"

const char *qmp_test_binary(void)
{
	const char *b = g_getenv("KVMAGE_BINARY");

	return b && *b ? b : g_getenv("QMP_TEST_SERVER");
}

const char *qmp_qemu_binary(void)
{
	static char *path;

	if (!path)
		path = g_find_program_in_path("qemu-system-x86_64");
	return path;
}

/* The VMM must not outlive a test that crashed. */
void qmp_child_setup(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

const char *qmp_vm_workload_or_skip(int argc, char **argv, int *status)
{
	bool tap = argc > 1 && !strcmp(argv[1], "--tap");
	const char *workload = g_getenv("KVMAGE_GUEST_WORKLOAD");
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	const char *why = NULL;

	if (fd < 0)
		why = "cannot open /dev/kvm";
	else if (!workload || !*workload || !g_getenv("KVMAGE_BINARY"))
		why = "KVMAGE_BINARY or the workload guest unset";
	if (fd >= 0)
		close(fd);
	if (!why)
		return workload;
	if (tap)
		printf("1..0 # SKIP %s\n", why);
	else
		g_printerr("skip: %s\n", why);
	*status = tap ? 0 : 77;
	return NULL;
}

/* @arg with every "@DIR@" replaced by @dir. */
static char *qmp_subst_dir(const char *arg, const char *dir)
{
	g_auto(GStrv) parts = g_strsplit(arg, "@DIR@", -1);

	return g_strjoinv(dir, parts);
}

/* Child: stdout to the file @data, then as qmp_child_setup(). */
static void qmp_child_setup_out(gpointer data)
{
	int fd = open(data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	/* only async-signal-safe calls here; a failure shows as no output */
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	qmp_child_setup(NULL);
}

static QmpProc *qmp_proc_spawn(const char *binary, const char *const *args,
			       bool out)
{
	QmpProc *p = g_new0(QmpProc, 1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *qmp = NULL;
	GError *err = NULL;
	int i;

	p->dir = g_dir_make_tmp("qmp-test-XXXXXX", &err);
	g_assert_no_error(err);
	p->sock = g_build_filename(p->dir, "qmp.sock", NULL);
	qmp = g_strdup_printf("unix:%s,server=on,wait=off", p->sock);
	g_ptr_array_add(argv, g_strdup(binary ? binary : qmp_test_binary()));
	g_assert_nonnull(argv->pdata[0]);
	for (i = 0; i < 6; i++)
		g_ptr_array_add(argv,
				g_strdup((const char *[]){
					"-machine", "none", "-display", "none",
					"-nodefaults", "-qmp" }[i]));
	g_ptr_array_add(argv, g_strdup(qmp));
	for (i = 0; args && args[i]; i++)
		g_ptr_array_add(argv, qmp_subst_dir(args[i], p->dir));
	g_ptr_array_add(argv, NULL);
	if (out) {
		p->out = g_build_filename(p->dir, "stdout", NULL);
		g_spawn_async(NULL, (char **)argv->pdata, NULL,
			      G_SPAWN_DO_NOT_REAP_CHILD, qmp_child_setup_out,
			      p->out, &p->pid, &err);
	} else {
		g_spawn_async(NULL, (char **)argv->pdata, NULL,
			      G_SPAWN_DO_NOT_REAP_CHILD |
				      G_SPAWN_STDOUT_TO_DEV_NULL,
			      qmp_child_setup, NULL, &p->pid, &err);
	}
	g_assert_no_error(err);
	qmp_wait_path(p->sock, p);
	return p;
}

QmpProc *qmp_proc_start(const char *binary, const char *const *args)
{
	return qmp_proc_spawn(binary, args, false);
}

QmpProc *qmp_proc_start_out(const char *binary, const char *const *args)
{
	return qmp_proc_spawn(binary, args, true);
}

bool qmp_proc_out_wait(QmpProc *p, const char *text, int timeout_ms)
{
	gint64 end = timescale_deadline(timeout_ms);

	g_assert_nonnull(p->out);
	for (;;) {
		g_autofree char *buf = NULL;

		if (g_file_get_contents(p->out, &buf, NULL, NULL) &&
		    strstr(buf, text))
			return true;
		if (g_get_monotonic_time() >= end)
			return false;
		g_usleep(50 * 1000);
	}
}

void qmp_wait_path(const char *path, QmpProc *p)
{
	gint64 end = timescale_deadline(QMP_TIMEOUT_MS);
	struct stat st;

	while (stat(path, &st) < 0) {
		if (p && qmp_proc_wait(p, 0))
			g_error("the VMM exited before creating %s", path);
		if (g_get_monotonic_time() >= end)
			g_error("no %s after %" G_GUINT64_FORMAT " ms", path,
				timescale_ms(QMP_TIMEOUT_MS));
		g_usleep(10000);
	}
}

bool qmp_proc_wait(QmpProc *p, int timeout_ms)
{
	gint64 end = timescale_deadline(MAX(timeout_ms, 0));
	pid_t r;

	if (p->exited)
		return true;
	for (;;) {
		r = waitpid(p->pid, &p->status, WNOHANG);
		if (r == p->pid) {
			p->exited = true;
			return true;
		}
		if (g_get_monotonic_time() >= end)
			return false;
		g_usleep(5000);
	}
}

/* Remove the files the process left in @dir (sockets of a killed VMM). */
static void qmp_dir_clear(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		unlink(path);
	}
	if (d)
		g_dir_close(d);
}

void qmp_proc_free(QmpProc *p)
{
	if (!p)
		return;
	if (!p->exited) {
		kill(p->pid, SIGKILL);
		qmp_proc_wait(p, QMP_TIMEOUT_MS);
	}
	g_spawn_close_pid(p->pid);
	qmp_dir_clear(p->dir);
	rmdir(p->dir);
	g_free(p->out);
	g_free(p->sock);
	g_free(p->dir);
	g_free(p);
}

char *qmp_run_refused(const char *binary, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	GString *err = g_string_new(NULL);
	GError *error = NULL;
	QmpProc p = { 0 };
	char buf[4096];
	ssize_t n;
	int efd, i;

	g_ptr_array_add(argv, (char *)(binary ? binary : qmp_test_binary()));
	for (i = 0; args[i]; i++)
		g_ptr_array_add(argv, (char *)args[i]);
	g_ptr_array_add(argv, NULL);
	g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL,
				 G_SPAWN_DO_NOT_REAP_CHILD |
					 G_SPAWN_STDOUT_TO_DEV_NULL,
				 qmp_child_setup, NULL, &p.pid, NULL, NULL,
				 &efd, &error);
	g_assert_no_error(error);
	if (!qmp_proc_wait(&p, QMP_TIMEOUT_MS)) {
		kill(p.pid, SIGKILL);
		qmp_proc_wait(&p, QMP_TIMEOUT_MS);
		g_error("%s %s... was not refused: it kept running",
			(char *)argv->pdata[0], args[0]);
	}
	g_spawn_close_pid(p.pid);
	while ((n = read(efd, buf, sizeof(buf))) > 0)
		g_string_append_len(err, buf, n);
	close(efd);
	g_assert_true(WIFEXITED(p.status));
	g_assert_cmpint(WEXITSTATUS(p.status), ==, 1);
	return g_string_free(err, FALSE);
}

QmpConn *qmp_conn_open(const char *sock)
{
	QmpConn *c = g_new0(QmpConn, 1);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	gint64 end = timescale_deadline(QMP_TIMEOUT_MS);

	g_strlcpy(sun.sun_path, sock, sizeof(sun.sun_path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(c->fd, >=, 0);
	/* the socket file exists from bind() on, but listen() comes later */
	while (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		g_assert_cmpint(errno, ==, ECONNREFUSED);
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
	c->buf = g_string_new(NULL);
	c->events = g_queue_new();
	return c;
}

QmpConn *qmp_conn_new(const char *sock)
{
	QmpConn *c = qmp_conn_open(sock);

	c->greeting = qmp_recv_line(c, QMP_TIMEOUT_MS);
	g_assert_nonnull(c->greeting);
	g_assert_true(g_str_has_prefix(c->greeting, "{\"QMP\": "));
	return c;
}

QmpConn *qmp_conn_negotiated(const char *sock)
{
	QmpConn *c = qmp_conn_new(sock);
	g_autofree char *r =
		qmp_cmd_line(c, "{\"execute\":\"qmp_capabilities\"}");

	g_assert_cmpstr(r, ==, "{\"return\": {}}");
	return c;
}

void qmp_conn_free(QmpConn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	g_string_free(c->buf, TRUE);
	g_queue_free_full(c->events, g_free);
	g_free(c->greeting);
	g_free(c);
}

void qmp_send_bytes(QmpConn *c, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		g_assert_cmpint(n, >, 0);
		p += n;
		len -= n;
	}
}

void qmp_send(QmpConn *c, const char *text)
{
	qmp_send_bytes(c, text, strlen(text));
}

char *qmp_recv_line(QmpConn *c, int timeout_ms)
{
	gint64 end = timescale_deadline(MAX(timeout_ms, 0));
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	char tmp[65536], *nl, *line;
	ssize_t n;
	int left;

	for (;;) {
		nl = strstr(c->buf->str, "\r\n");
		if (nl) {
			line = g_strndup(c->buf->str, nl - c->buf->str);
			g_string_erase(c->buf, 0, nl - c->buf->str + 2);
			return line;
		}
		left = (end - g_get_monotonic_time()) / 1000;
		if (left < 0 || poll(&pfd, 1, left) <= 0)
			return NULL;
		n = recv(c->fd, tmp, sizeof(tmp), 0);
		if (n <= 0)
			return NULL;
		g_string_append_len(c->buf, tmp, n);
	}
}

char *qmp_recv_reply(QmpConn *c)
{
	char *line;

	for (;;) {
		line = qmp_recv_line(c, QMP_TIMEOUT_MS);
		g_assert_nonnull(line);
		if (!g_str_has_prefix(line, "{\"timestamp\": "))
			return line;
		g_queue_push_tail(c->events, line);
	}
}

char *qmp_cmd_line(QmpConn *c, const char *text)
{
	qmp_send(c, text);
	return qmp_recv_reply(c);
}

JsonNode *qmp_parse(const char *line)
{
	GError *err = NULL;
	JsonNode *n = json_parse_string(line, strlen(line), &err);

	g_assert_no_error(err);
	return n;
}

JsonNode *qmp_cmd(QmpConn *c, const char *text)
{
	g_autofree char *line = qmp_cmd_line(c, text);

	return qmp_parse(line);
}

static bool is_event(const char *line, const char *name)
{
	g_autofree char *pat = g_strdup_printf("\"event\": \"%s\"", name);

	return strstr(line, pat) != NULL;
}

char *qmp_event_wait(QmpConn *c, const char *name, int timeout_ms)
{
	GList *l;
	char *line;

	for (l = c->events->head; l; l = l->next) {
		if (is_event(l->data, name)) {
			line = l->data;
			g_queue_delete_link(c->events, l);
			return line;
		}
	}
	while ((line = qmp_recv_line(c, timeout_ms))) {
		if (is_event(line, name))
			return line;
		g_queue_push_tail(c->events, line);
	}
	return NULL;
}

bool qmp_conn_eof(QmpConn *c, int timeout_ms)
{
	char *line;

	while ((line = qmp_recv_line(c, timeout_ms)))
		g_free(line);
	return recv(c->fd, &(char){ 0 }, 1, MSG_DONTWAIT) == 0;
}

/* Mask the values of "timestamp", "qemu" (version) and "package". */
char *qmp_mask(const char *line)
{
	static GRegex *re[3];
	static const char *const pat[3] = {
		"\"timestamp\": \\{\"seconds\": \\d+, \"microseconds\": \\d+\\}",
		"\"qemu\": \\{\"micro\": \\d+, \"minor\": \\d+, \"major\": \\d+\\}",
		"\"package\": \"[^\"]*\"",
	};
	static const char *const rep[3] = {
		"\"timestamp\": TS",
		"\"qemu\": VER",
		"\"package\": PKG",
	};
	char *s = g_strdup(line), *t;
	int i;

	for (i = 0; i < 3; i++) {
		if (!re[i])
			re[i] = g_regex_new(pat[i], 0, 0, NULL);
		t = g_regex_replace_literal(re[i], s, -1, 0, rep[i], 0, NULL);
		g_free(s);
		s = t;
	}
	return s;
}

JsonNode *qmp_cmd_return(QmpConn *c, const char *cmd)
{
	g_autoptr(JsonNode) reply = qmp_cmd(c, cmd);
	JsonObject *o = json_node_get_object(reply);

	g_assert_nonnull(o);
	if (!json_object_has_member(o, "return"))
		g_error("%s failed: %s", cmd, json_to_string(reply, FALSE));
	return json_node_copy(json_object_get_member(o, "return"));
}

void qmp_cmd_ok(QmpConn *c, const char *cmd)
{
	json_node_unref(qmp_cmd_return(c, cmd));
}

void qmp_vm_assert_running(QmpConn *c)
{
	g_autoptr(JsonNode)
		st = qmp_cmd_return(c, "{'execute':'query-status'}");

	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(st),
						      "status"),
			==, "running");
}

void qmp_vm_exit_ok(QmpProc *p, QmpConn *c, int timeout_ms)
{
	g_assert_true(qmp_proc_wait(p, timeout_ms));
	g_assert_true(WIFEXITED(p->status));
	g_assert_cmpint(WEXITSTATUS(p->status), ==, 0);
	qmp_conn_free(c);
	qmp_proc_free(p);
}

void qmp_vm_quit(QmpProc *p, QmpConn *c, int timeout_ms)
{
	qmp_cmd_ok(c, "{'execute':'quit'}");
	qmp_vm_exit_ok(p, c, timeout_ms);
}
