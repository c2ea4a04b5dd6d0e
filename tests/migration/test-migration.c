/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live migration end to end: two real kvmage processes with the workload
 * guest (verify=on: every touch checks the page), over unix: and tcp:,
 * through file: and exec:, paused and running; migrate_cancel and a
 * destination killed mid-stream leave the source running.  Skips (77 by
 * hand, a TAP skip under meson) without /dev/kvm.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "../qmp/libqmp.h"

static const char *workload;

/* A VM of 64 MiB; @incoming (NULL: none) and -S as asked. */
static QmpProc *vm_start(const char *append, bool paused, const char *incoming)
{
	const char *args[] = { "-machine", "pc",   "-m",      "64M",
			       "-smp",	   "2",	   "-kernel", workload,
			       "-append",  append, NULL,      NULL,
			       NULL,	   NULL };
	int n = 10;

	if (incoming) {
		args[n++] = "-incoming";
		args[n++] = incoming;
	}
	if (paused)
		args[n++] = "-S";
	return qmp_proc_start(g_getenv("KVMAGE_BINARY"), args);
}

static const char *vm_status(QmpConn *c)
{
	static char buf[32];
	g_autoptr(JsonNode) r = qmp_cmd_return(c, "{'execute':'query-status'}");

	g_strlcpy(buf,
		  json_object_get_string_member(json_node_get_object(r),
						"status"),
		  sizeof(buf));
	return buf;
}

/* Wait until query-migrate says @status; returns its reply. */
static JsonNode *mig_wait(QmpConn *c, const char *status, int timeout_ms)
{
	gint64 end = timescale_deadline(timeout_ms);

	for (;;) {
		JsonNode *r = qmp_cmd_return(c, "{'execute':'query-migrate'}");
		JsonObject *o = json_node_get_object(r);
		const char *st =
			json_object_has_member(o, "status") ?
				json_object_get_string_member(o, "status") :
				"";

		if (!strcmp(st, status))
			return r;
		if (g_get_monotonic_time() >= end) {
			g_printerr("migration status '%s', expected '%s'\n", st,
				   status);
			g_assert_not_reached();
		}
		json_node_unref(r);
		g_usleep(20 * 1000);
	}
}

/* The RAM figures of a completed migration are consistent. */
static void check_stats(JsonNode *r)
{
	JsonObject *o = json_node_get_object(r);
	JsonObject *ram = json_object_get_object_member(o, "ram");
	gint64 total = json_object_get_int_member(ram, "total");
	gint64 pages = json_object_get_int_member(ram, "normal") +
		       json_object_get_int_member(ram, "duplicate");

	g_assert_cmpint(total, ==, 64 << 20);
	g_assert_cmpint(json_object_get_int_member(ram, "remaining"), ==, 0);
	g_assert_cmpint(json_object_get_int_member(ram, "page-size"), ==, 4096);
	/* every page at least once */
	g_assert_cmpint(pages, >=, total / 4096);
	g_assert_cmpint(json_object_get_int_member(ram, "transferred"), >,
			json_object_get_int_member(ram, "normal-bytes"));
	g_assert_cmpint(json_object_get_int_member(ram, "dirty-sync-count"), >=,
			2);
	g_assert_true(json_object_has_member(o, "downtime"));
	g_assert_cmpint(json_object_get_int_member(o, "total-time"), >=,
			json_object_get_int_member(o, "downtime"));
}

static void migrate(QmpConn *c, const char *uri)
{
	g_autofree char *cmd =
		g_strdup_printf("{'execute':'migrate','arguments':{'uri':'%s'}}",
				uri);

	qmp_cmd_ok(c, cmd);
}

/* The destination runs the guest: it keeps verifying, then quits. */
static void dest_runs_then_quits(QmpProc *d, QmpConn *dc)
{
	json_node_unref(mig_wait(dc, "completed", 20000));
	g_assert_cmpstr(vm_status(dc), ==, "running");
	/* a page that fails its check ends the guest, and kvmage with it */
	timescale_sleep_ms(1000);
	g_assert_cmpstr(vm_status(dc), ==, "running");
	qmp_vm_quit(d, dc, 5000);
}

/* A destination listening on unix:DIR/mig, and that URI. */
static QmpProc *dest_start(const char *append, char **uri)
{
	QmpProc *d = vm_start(append, false, "unix:@DIR@/mig");
	g_autofree char *path = g_build_filename(d->dir, "mig", NULL);

	qmp_wait_path(path, d);
	*uri = g_strdup_printf("unix:%s", path);
	return d;
}

/* A guest that has not run yet (-S): it starts on the destination. */
static void test_unix_paused(void)
{
	const char *append = "size=8M passes=20 pattern=scan";
	QmpProc *s = vm_start(append, true, NULL), *d;
	QmpConn *sc = qmp_conn_negotiated(s->sock), *dc;
	g_autoptr(JsonNode) r = NULL;
	g_autofree char *uri = NULL, *shutdown = NULL;

	d = dest_start(append, &uri);
	dc = qmp_conn_negotiated(d->sock);
	migrate(sc, uri);
	r = mig_wait(sc, "completed", 20000);
	check_stats(r);
	g_assert_cmpstr(vm_status(sc), ==, "postmigrate");
	/* the guest runs its passes and its final check, then exits 0 */
	shutdown = qmp_event_wait(dc, "SHUTDOWN", 20000);
	g_assert_nonnull(shutdown);
	qmp_vm_exit_ok(d, dc, 5000);
	qmp_vm_quit(s, sc, 5000);
}

/* A running guest, writing its pages all along. */
static void test_unix_running(void)
{
	const char *append = "size=16M passes=0 pattern=scan rw=mixed";
	QmpProc *s = vm_start(append, false, NULL), *d;
	QmpConn *sc = qmp_conn_negotiated(s->sock), *dc;
	g_autoptr(JsonNode) r = NULL;
	g_autofree char *uri = NULL, *pass = NULL;

	d = dest_start(append, &uri);
	dc = qmp_conn_negotiated(d->sock);
	timescale_sleep_ms(300);
	qmp_cmd_ok(sc, "{'execute':'migrate-set-capabilities','arguments':"
		       "{'capabilities':[{'capability':'events',"
		       "'state':true}]}}");
	migrate(sc, uri);
	r = mig_wait(sc, "completed", 30000);
	check_stats(r);
	pass = qmp_event_wait(sc, "MIGRATION_PASS", 1000);
	g_assert_nonnull(pass);
	g_assert_cmpstr(vm_status(sc), ==, "postmigrate");
	dest_runs_then_quits(d, dc);
	qmp_vm_quit(s, sc, 5000);
}

/* To a file and back with -incoming file:. */
static void test_file(void)
{
	const char *append = "size=8M passes=0 pattern=scan rw=mixed";
	QmpProc *s = vm_start(append, false, NULL), *d;
	QmpConn *sc = qmp_conn_negotiated(s->sock), *dc;
	g_autoptr(JsonNode) r = NULL;
	g_autofree char *path = g_build_filename(s->dir, "img", NULL);
	g_autofree char *uri = g_strdup_printf("file:%s", path);

	timescale_sleep_ms(200);
	migrate(sc, uri);
	r = mig_wait(sc, "completed", 30000);
	check_stats(r);
	d = vm_start(append, false, uri);
	dc = qmp_conn_negotiated(d->sock);
	dest_runs_then_quits(d, dc);
	qmp_vm_quit(s, sc, 5000);
}

/* A free TCP port on the loopback (free when asked: good enough here). */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/*
 * Wait until 127.0.0.1:@port listens (/proc/net/tcp, state 0A), without
 * connecting: the destination takes its first connection as the stream.
 * It opens its monitor before it listens, so QMP answering is not enough.
 */
static void wait_listen(int port)
{
	g_autofree char *want = g_strdup_printf("0100007F:%04X", port);
	gint64 end = timescale_deadline(20000);

	for (;;) {
		g_autofree char *tcp = NULL;
		g_auto(GStrv) lines = NULL;

		g_assert_true(
			g_file_get_contents("/proc/net/tcp", &tcp, NULL, NULL));
		lines = g_strsplit(tcp, "\n", -1);
		for (unsigned i = 1; lines[i]; i++) {
			g_auto(GStrv) f =
				g_strsplit_set(g_strstrip(lines[i]), " ", -1);
			unsigned n = 0;
			const char *col[4] = { 0 };

			for (unsigned j = 0; f[j] && n < 4; j++)
				if (*f[j])
					col[n++] = f[j];
			if (n == 4 && !strcmp(col[1], want) &&
			    !strcmp(col[3], "0A"))
				return;
		}
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
}

/* A running guest over tcp:, and through exec: into a file and back. */
static void test_tcp_exec(void)
{
	const char *append = "size=8M passes=0 pattern=scan rw=mixed";
	int port = free_port();
	g_autofree char *tcp = g_strdup_printf("tcp:127.0.0.1:%d", port);
	QmpProc *s = vm_start(append, false, NULL), *d;
	QmpConn *sc = qmp_conn_negotiated(s->sock), *dc;
	g_autofree char *img = NULL, *out = NULL, *in = NULL;

	d = vm_start(append, false, tcp);
	dc = qmp_conn_negotiated(d->sock);
	wait_listen(port);
	migrate(sc, tcp);
	json_node_unref(mig_wait(sc, "completed", 30000));
	dest_runs_then_quits(d, dc);
	/* the destination, now the source, goes on through exec: */
	qmp_vm_quit(s, sc, 5000);
	s = vm_start(append, false, NULL);
	sc = qmp_conn_negotiated(s->sock);
	img = g_build_filename(s->dir, "img", NULL);
	out = g_strdup_printf("exec:cat > %s", img);
	in = g_strdup_printf("exec:cat %s", img);
	migrate(sc, out);
	json_node_unref(mig_wait(sc, "completed", 30000));
	d = vm_start(append, false, in);
	dc = qmp_conn_negotiated(d->sock);
	dest_runs_then_quits(d, dc);
	qmp_vm_quit(s, sc, 5000);
}

/*
 * A migration held back by max-bandwidth (1 MiB/s: the first pass of
 * 64 MiB takes a minute to be paid off), stopped by @stop; the source
 * must end @status and keep running, its guest still verifying.
 */
static void run_interrupted(bool kill_dest, const char *status)
{
	const char *append = "size=8M passes=0 pattern=scan rw=mixed";
	QmpProc *s = vm_start(append, false, NULL), *d;
	QmpConn *sc = qmp_conn_negotiated(s->sock), *dc;
	g_autoptr(JsonNode) r = NULL;
	g_autofree char *uri = NULL, *err = NULL;
	JsonObject *o;

	d = dest_start(append, &uri);
	dc = qmp_conn_negotiated(d->sock);
	qmp_cmd_ok(sc, "{'execute':'migrate-set-parameters','arguments':"
		       "{'max-bandwidth':1048576}}");
	migrate(sc, uri);
	json_node_unref(mig_wait(sc, "active", 10000));
	timescale_sleep_ms(200);
	/* no reclaim may start meanwhile */
	err = qmp_cmd_line(sc, "{'execute':'memory-reclaim','arguments':"
			       "{'job-id':'r'}}");
	g_assert_nonnull(strstr(err, "a migration is in progress"));
	if (kill_dest)
		kill(d->pid, SIGKILL);
	else
		qmp_cmd_ok(sc, "{'execute':'migrate_cancel'}");
	r = mig_wait(sc, status, 10000);
	o = json_node_get_object(r);
	g_assert_cmpint(json_object_has_member(o, "error-desc"), ==, kill_dest);
	g_assert_cmpstr(vm_status(sc), ==, "running");
	timescale_sleep_ms(500);
	g_assert_cmpstr(vm_status(sc), ==, "running");
	qmp_conn_free(dc);
	qmp_proc_free(d);
	qmp_vm_quit(s, sc, 5000);
}

static void test_cancel(void)
{
	run_interrupted(false, "cancelled");
}

static void test_dest_killed(void)
{
	run_interrupted(true, "failed");
}

int main(int argc, char **argv)
{
	int status;

	workload = qmp_vm_workload_or_skip(argc, argv, &status);
	if (!workload)
		return status;
	/* a peer that goes away must give EPIPE, not kill the test */
	signal(SIGPIPE, SIG_IGN);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/migration/unix/paused", test_unix_paused);
	g_test_add_func("/migration/unix/running", test_unix_running);
	g_test_add_func("/migration/file", test_file);
	g_test_add_func("/migration/tcp-exec", test_tcp_exec);
	g_test_add_func("/migration/cancel", test_cancel);
	g_test_add_func("/migration/dest-killed", test_dest_killed);
	return g_test_run();
}
