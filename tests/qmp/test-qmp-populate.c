/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-populate over QMP against the real kvmage and the workload guest
 * (512 MiB memdev, the guest sweeping and verifying a 64 MiB area the
 * whole time: pattern=scan verify=on, so a page populate damaged would
 * end kvmage with status 1).
 *
 * - a whole-memdev populate: JOB_STATUS_CHANGE created, running, waiting,
 *   pending, concluded, null in that order; query-jobs shows progress in
 *   4 MiB chunks while it runs; the process's Rss (smaps_rollup) grows to
 *   the memdev's size afterwards;
 * - pause stops progress until resume; cancel stops it early with
 *   "Operation canceled"; auto-dismiss false keeps the job until
 *   job-dismiss;
 * - errors up front: unknown memdev (DeviceNotFound), bad or duplicate
 *   job id, ranges out of bounds, unaligned, empty;
 * - the kernel without MADV_POPULATE_* (forced with the test-only
 *   KVMAGE_TEST_POPULATE_EINVAL=1): the job fails saying so;
 * - mode=read on a memfd memdev over a range: Rss grows by the range;
 * - quit while a job runs: the job ends (aborting, concluded, null seen
 *   by the client) and kvmage exits 0;
 * - after each, the guest still runs, and quit ends kvmage with status 0.
 * Skips without /dev/kvm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "libqmp.h"

#define MiB   (1024 * 1024LL)
#define RAM   (512 * MiB)
#define CHUNK (4 * MiB)

static const char *workload;

static QmpProc *vm_start(const char *mem)
{
	g_autofree char *memobj = g_strdup_printf("%s,id=ram0,size=512M", mem);
	const char *args[] = {
		"-machine", "pc,memory-backend=ram0",
		"-object",  memobj,
		"-kernel",  workload,
		"-append",  "size=64M pattern=scan rw=mixed passes=0 verify=on",
		NULL,
	};

	return qmp_proc_start(g_getenv("KVMAGE_BINARY"), args);
}

/* Resident bytes of the process (anonymous and shared memory). */
static gint64 vm_rss(QmpProc *p)
{
	g_autofree char *path =
		g_strdup_printf("/proc/%d/smaps_rollup", (int)p->pid);
	g_autofree char *text = NULL;
	const char *rss;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	rss = strstr(text, "\nRss:");
	g_assert_nonnull(rss);
	return g_ascii_strtoll(rss + 5, NULL, 10) * 1024;
}

/*
 * Wait until the guest filled its 64 MiB area (Rss steady above it), so
 * that what populate adds can be told apart; the Rss then.
 */
static gint64 vm_settle(QmpProc *p)
{
	gint64 end = timescale_deadline(10000);
	gint64 prev = vm_rss(p), cur;

	for (;;) {
		g_usleep(100000);
		cur = vm_rss(p);
		if (cur >= 64 * MiB && cur - prev < MiB)
			return cur;
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		prev = cur;
	}
}

/* The guest still runs; quit; kvmage exits 0 (no corrupted page). */
static void vm_finish(QmpProc *p, QmpConn *c)
{
	qmp_vm_assert_running(c);
	g_assert_false(qmp_proc_wait(p, 0));
	qmp_vm_quit(p, c, QMP_TIMEOUT_MS);
}

/* The command fails with @cls and exactly @desc. */
static void cmd_err(QmpConn *c, const char *text, const char *cls,
		    const char *desc)
{
	g_autoptr(JsonNode) r = qmp_cmd(c, text);
	JsonObject *o = json_node_get_object(r), *e;

	g_assert_true(json_object_has_member(o, "error"));
	e = json_object_get_object_member(o, "error");
	g_assert_cmpstr(json_object_get_string_member(e, "class"), ==, cls);
	g_assert_cmpstr(json_object_get_string_member(e, "desc"), ==, desc);
}

/* Job @id's JobInfo, or NULL if query-jobs does not list it. */
static JsonObject *job_get(QmpConn *c, const char *id, JsonNode **hold)
{
	JsonArray *a;

	*hold = qmp_cmd_return(c, "{'execute':'query-jobs'}");
	a = json_node_get_array(*hold);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);

		if (!strcmp(json_object_get_string_member(o, "id"), id))
			return o;
	}
	return NULL;
}

/*
 * The next JOB_STATUS_CHANGE events of @id must carry @want's statuses
 * ("created running ..."), in that order.
 */
static void expect_events(QmpConn *c, const char *id, const char *want)
{
	g_auto(GStrv) st = g_strsplit(want, " ", -1);

	for (int i = 0; st[i]; i++) {
		g_autofree char *line =
			qmp_event_wait(c, "JOB_STATUS_CHANGE", 10000);
		g_autoptr(JsonNode) ev = NULL;
		JsonObject *d;

		g_assert_nonnull(line);
		ev = qmp_parse(line);
		d = json_object_get_object_member(json_node_get_object(ev),
						  "data");
		g_assert_cmpstr(json_object_get_string_member(d, "id"), ==, id);
		g_assert_cmpstr(json_object_get_string_member(d, "status"), ==,
				st[i]);
	}
}

static void test_whole(void)
{
	QmpProc *p = vm_start("memory-backend-ram");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	gint64 before = vm_settle(p), after, midway = 0, last = 0;
	guint samples = 0;

	g_assert_cmpint(before, <, RAM / 2);
	json_node_unref(
		qmp_cmd_return(c, "{'execute':'memory-populate','arguments':"
				  "{'job-id':'p0','memdev':'ram0'}}"));
	for (;;) {
		g_autoptr(JsonNode) hold = NULL;
		JsonObject *j = job_get(c, "p0", &hold);
		gint64 cur, total;

		if (!j)
			break;
		cur = json_object_get_int_member(j, "current-progress");
		total = json_object_get_int_member(j, "total-progress");
		g_assert_cmpstr(json_object_get_string_member(j, "type"), ==,
				"memory-populate");
		g_assert_false(json_object_has_member(j, "error"));
		g_assert_cmpint(cur, >=, last);
		g_assert_cmpint(cur % CHUNK, ==, 0);
		if (total)
			g_assert_cmpint(total, ==, RAM);
		if (!strcmp(json_object_get_string_member(j, "status"),
			    "running") &&
		    cur > 0 && cur < RAM)
			midway++;
		last = cur;
		samples++;
		g_usleep(2000);
	}
	g_test_message("%u samples, %u midway", samples, (unsigned)midway);
	g_assert_cmpint(midway, >, 0);
	expect_events(c, "p0",
		      "created running waiting pending concluded null");
	after = vm_rss(p);
	g_test_message("Rss %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT, before,
		       after);
	g_assert_cmpint(after, >=, RAM);
	vm_finish(p, c);
}

static void test_pause_cancel(void)
{
	QmpProc *p = vm_start("memory-backend-ram");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) h1 = NULL, h2 = NULL, h3 = NULL, h4 = NULL;
	JsonObject *j;
	gint64 cur, rss, end;

	vm_settle(p);
	json_node_unref(
		qmp_cmd_return(c, "{'execute':'memory-populate','arguments':"
				  "{'job-id':'p1','memdev':'ram0',"
				  "'auto-dismiss':false}}"));
	json_node_unref(qmp_cmd_return(c, "{'execute':'job-pause',"
					  "'arguments':{'id':'p1'}}"));
	expect_events(c, "p1", "created running paused");
	j = job_get(c, "p1", &h1);
	g_assert_cmpstr(json_object_get_string_member(j, "status"), ==,
			"paused");
	cur = json_object_get_int_member(j, "current-progress");
	g_assert_cmpint(cur, <, RAM);
	rss = vm_rss(p);
	timescale_sleep_ms(300); /* time for progress that must not come */
	/* paused: no progress, no memory populated meanwhile */
	j = job_get(c, "p1", &h2);
	g_assert_cmpint(json_object_get_int_member(j, "current-progress"), ==,
			cur);
	g_assert_cmpint(vm_rss(p), <, rss + 2 * CHUNK);
	cmd_err(c, "{'execute':'job-pause','arguments':{'id':'p1'}}",
		"GenericError", "Job is already paused");
	json_node_unref(qmp_cmd_return(c, "{'execute':'job-resume',"
					  "'arguments':{'id':'p1'}}"));
	expect_events(c, "p1", "running");
	/* it goes on, then pauses again at the end of a chunk */
	end = timescale_deadline(QMP_TIMEOUT_MS);
	while (json_object_get_int_member(j = job_get(c, "p1", &h3),
					  "current-progress") == cur) {
		g_clear_pointer(&h3, json_node_unref);
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(1000);
	}
	json_node_unref(qmp_cmd_return(c, "{'execute':'job-pause',"
					  "'arguments':{'id':'p1'}}"));
	expect_events(c, "p1", "paused");
	g_clear_pointer(&h3, json_node_unref);
	j = job_get(c, "p1", &h3);
	cur = json_object_get_int_member(j, "current-progress");
	g_clear_pointer(&h3, json_node_unref);
	/* cancelled while paused: not one more chunk */
	json_node_unref(qmp_cmd_return(c, "{'execute':'job-cancel',"
					  "'arguments':{'id':'p1'}}"));
	expect_events(c, "p1", "running aborting concluded");
	j = job_get(c, "p1", &h3);
	g_assert_cmpstr(json_object_get_string_member(j, "status"), ==,
			"concluded");
	g_assert_cmpstr(json_object_get_string_member(j, "error"), ==,
			"Operation canceled");
	g_assert_cmpint(json_object_get_int_member(j, "current-progress"), ==,
			cur);
	g_test_message("cancelled at %" G_GINT64_FORMAT " bytes", cur);
	g_assert_cmpint(cur, <, RAM);
	cmd_err(c, "{'execute':'job-cancel','arguments':{'id':'p1'}}",
		"GenericError",
		"Job 'p1' in state 'concluded' cannot accept command verb "
		"'cancel'");
	json_node_unref(qmp_cmd_return(c, "{'execute':'job-dismiss',"
					  "'arguments':{'id':'p1'}}"));
	expect_events(c, "p1", "null");
	g_assert_null(job_get(c, "p1", &h4));
	vm_finish(p, c);
}

/* cancelled while running: stops early, the guest unharmed */
static void test_cancel_running(void)
{
	QmpProc *p = vm_start("memory-backend-memfd");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) h1 = NULL;
	JsonObject *j;
	gint64 cur = 0;

	json_node_unref(
		qmp_cmd_return(c, "{'execute':'memory-populate','arguments':"
				  "{'job-id':'c1','memdev':'ram0',"
				  "'auto-dismiss':false}}"));
	expect_events(c, "c1", "created running");
	while (!cur) {
		g_autoptr(JsonNode) h = NULL;

		j = job_get(c, "c1", &h);
		cur = json_object_get_int_member(j, "current-progress");
		g_assert_cmpstr(json_object_get_string_member(j, "status"), ==,
				"running");
	}
	json_node_unref(qmp_cmd_return(c, "{'execute':'job-cancel',"
					  "'arguments':{'id':'c1'}}"));
	expect_events(c, "c1", "aborting concluded");
	j = job_get(c, "c1", &h1);
	g_assert_cmpstr(json_object_get_string_member(j, "error"), ==,
			"Operation canceled");
	g_test_message("progress %" G_GINT64_FORMAT " before the cancel, "
		       "%" G_GINT64_FORMAT " at the end",
		       cur, json_object_get_int_member(j, "current-progress"));
	/*
	 * It stops at the end of the chunk in progress when the cancel
	 * arrives (8 MiB here, typically); the bound leaves room for a main
	 * thread delayed by a loaded host.
	 */
	g_assert_cmpint(json_object_get_int_member(j, "current-progress"), <=,
			cur + 32 * CHUNK);
	vm_finish(p, c);
}

/* auto-finalize false: pending until job-finalize, then gone */
static void test_manual_finalize(void)
{
	QmpProc *p = vm_start("memory-backend-ram");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) h1 = NULL;
	JsonObject *j;

	json_node_unref(
		qmp_cmd_return(c, "{'execute':'memory-populate','arguments':"
				  "{'job-id':'p2','memdev':'ram0',"
				  "'offset':268435456,'size':67108864,"
				  "'auto-finalize':false}}"));
	expect_events(c, "p2", "created running waiting pending");
	j = job_get(c, "p2", &h1);
	g_assert_cmpstr(json_object_get_string_member(j, "status"), ==,
			"pending");
	g_assert_cmpint(json_object_get_int_member(j, "current-progress"), ==,
			64 * MiB);
	g_assert_cmpint(json_object_get_int_member(j, "total-progress"), ==,
			64 * MiB);
	cmd_err(c, "{'execute':'job-complete','arguments':{'id':'p2'}}",
		"GenericError",
		"Job 'p2' in state 'pending' cannot accept command verb "
		"'complete'");
	json_node_unref(qmp_cmd_return(c, "{'execute':'job-finalize',"
					  "'arguments':{'id':'p2'}}"));
	expect_events(c, "p2", "concluded null");
	vm_finish(p, c);
}

static void test_errors(void)
{
	QmpProc *p = vm_start("memory-backend-ram");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	const char *pre = "{'execute':'memory-populate','arguments':"
			  "{'job-id':'e1','memdev':'ram0'";
	g_autofree char *q = NULL;

	cmd_err(c,
		"{'execute':'memory-populate','arguments':"
		"{'job-id':'e1','memdev':'nope'}}",
		"DeviceNotFound", "Memory backend 'nope' not found");
	cmd_err(c,
		"{'execute':'memory-populate','arguments':"
		"{'job-id':'1e','memdev':'ram0'}}",
		"GenericError", "Invalid job ID '1e'");
	cmd_err(c, (q = g_strconcat(pre, ",'offset':536870912}}", NULL)),
		"GenericError",
		"offset 536870912 is outside memdev 'ram0' (536870912 bytes)");
	g_clear_pointer(&q, g_free);
	cmd_err(c, (q = g_strconcat(pre, ",'offset':-4096}}", NULL)),
		"GenericError", "offset -4096 is negative");
	g_clear_pointer(&q, g_free);
	cmd_err(c, (q = g_strconcat(pre, ",'offset':2048}}", NULL)),
		"GenericError",
		"offset 2048 and size 536868864 must be multiples of the "
		"page size of memdev 'ram0' (4096 bytes)");
	g_clear_pointer(&q, g_free);
	cmd_err(c, (q = g_strconcat(pre, ",'size':0}}", NULL)), "GenericError",
		"size 0 must be positive");
	g_clear_pointer(&q, g_free);
	cmd_err(c,
		(q = g_strconcat(pre, ",'offset':4096,'size':536870912}}",
				 NULL)),
		"GenericError",
		"range at offset 4096 of 536870912 bytes ends outside memdev "
		"'ram0' (536870912 bytes)");
	g_clear_pointer(&q, g_free);
	cmd_err(c, (q = g_strconcat(pre, ",'mode':'both'}}", NULL)),
		"GenericError",
		"Parameter 'mode' does not accept value 'both'");
	g_clear_pointer(&q, g_free);
	/* a concluded job keeps its id */
	json_node_unref(
		qmp_cmd_return(c, "{'execute':'memory-populate','arguments':"
				  "{'job-id':'d1','memdev':'ram0',"
				  "'size':4194304,'auto-dismiss':false}}"));
	expect_events(c, "d1", "created running waiting pending concluded");
	cmd_err(c,
		"{'execute':'memory-populate','arguments':"
		"{'job-id':'d1','memdev':'ram0'}}",
		"GenericError", "Job ID 'd1' already in use");
	json_node_unref(qmp_cmd_return(c, "{'execute':'job-dismiss',"
					  "'arguments':{'id':'d1'}}"));
	vm_finish(p, c);
}

/* The kernel lacks MADV_POPULATE_*: forced with the test-only knob. */
static void test_no_kernel_support(void)
{
	QmpProc *p;
	QmpConn *c;
	g_autoptr(JsonNode) h1 = NULL, h2 = NULL;
	JsonObject *j;

	g_setenv("KVMAGE_TEST_POPULATE_EINVAL", "1", TRUE);
	p = vm_start("memory-backend-ram");
	g_unsetenv("KVMAGE_TEST_POPULATE_EINVAL");
	c = qmp_conn_negotiated(p->sock);
	json_node_unref(
		qmp_cmd_return(c, "{'execute':'memory-populate','arguments':"
				  "{'job-id':'k1','memdev':'ram0',"
				  "'auto-dismiss':false}}"));
	expect_events(c, "k1", "created running aborting concluded");
	j = job_get(c, "k1", &h1);
	g_assert_cmpstr(json_object_get_string_member(j, "error"), ==,
			"memdev 'ram0': madvise(MADV_POPULATE_WRITE) is not "
			"supported by this kernel (Linux 5.14 or later has "
			"it)");
	g_assert_cmpint(json_object_get_int_member(j, "current-progress"), ==,
			0);
	json_node_unref(qmp_cmd_return(c, "{'execute':'job-dismiss',"
					  "'arguments':{'id':'k1'}}"));
	expect_events(c, "k1", "null");
	json_node_unref(
		qmp_cmd_return(c,
			       "{'execute':'memory-populate','arguments':"
			       "{'job-id':'k2','memdev':'ram0','mode':'read',"
			       "'auto-dismiss':false}}"));
	expect_events(c, "k2", "created running aborting concluded");
	j = job_get(c, "k2", &h2);
	g_assert_nonnull(
		strstr(json_object_get_string_member(j, "error"),
		       "madvise(MADV_POPULATE_READ) is not supported"));
	vm_finish(p, c);
}

static void test_memfd_read_range(void)
{
	QmpProc *p = vm_start("memory-backend-memfd");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	gint64 before = vm_settle(p), after;

	json_node_unref(
		qmp_cmd_return(c,
			       "{'execute':'memory-populate','arguments':"
			       "{'job-id':'r1','memdev':'ram0','mode':'read',"
			       "'offset':268435456,'size':201326592}}"));
	expect_events(c, "r1",
		      "created running waiting pending concluded null");
	after = vm_rss(p);
	g_test_message("Rss %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT, before,
		       after);
	/* shmem allocates on a read fault: the range is now resident */
	g_assert_cmpint(after - before, >=, 192 * MiB);
	g_assert_cmpint(after - before, <, 200 * MiB);
	vm_finish(p, c);
}

/* quit while a job runs: it is cancelled, kvmage exits 0 promptly */
static void test_quit_while_running(void)
{
	QmpProc *p = vm_start("memory-backend-memfd");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	gint64 t0;

	json_node_unref(
		qmp_cmd_return(c, "{'execute':'memory-populate','arguments':"
				  "{'job-id':'q1','memdev':'ram0'}}"));
	expect_events(c, "q1", "created running");
	t0 = g_get_monotonic_time();
	json_node_unref(qmp_cmd_return(c, "{'execute':'quit'}"));
	/* the job's end reaches clients before the monitor closes */
	expect_events(c, "q1", "aborting concluded null");
	g_assert_true(qmp_proc_wait(p, QMP_TIMEOUT_MS));
	g_test_message("exited %" G_GINT64_FORMAT " ms after quit",
		       (g_get_monotonic_time() - t0) / 1000);
	qmp_vm_exit_ok(p, c, 0); /* exited: status 0 */
}

int main(int argc, char **argv)
{
	int status;

	workload = qmp_vm_workload_or_skip(argc, argv, &status);
	if (!workload)
		return status;
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp/populate/whole", test_whole);
	g_test_add_func("/qmp/populate/pause-cancel", test_pause_cancel);
	g_test_add_func("/qmp/populate/cancel-running", test_cancel_running);
	g_test_add_func("/qmp/populate/manual-finalize", test_manual_finalize);
	g_test_add_func("/qmp/populate/errors", test_errors);
	g_test_add_func("/qmp/populate/no-kernel-support",
			test_no_kernel_support);
	g_test_add_func("/qmp/populate/memfd-read-range",
			test_memfd_read_range);
	g_test_add_func("/qmp/populate/quit-while-running",
			test_quit_while_running);
	return g_test_run();
}
