/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Run-time aging backend switches over QMP against the real kvmage and
 * the workload guest (helpers and ground truth: aging-util.h).
 *
 * Run-time switches on a memfd with the guest running and verifying
 * every page it touches: dirty-log -> uffd -> uffd full -> dirty-log ->
 * auto (uffd, sample 4), each reported with its coverage, scans counting
 * on and ages carried over (the cold set stays cold through a switch),
 * except from dirty-log to uffd: dirty-log never saw reads, so the uffd
 * ages start at the switch (nothing proven cold at once, the cold set
 * cold again a few scans later);
 * then a guest that sweeps its whole area every pass with verify=on runs
 * to its end through repeated switches and its final sweep finds every
 * page intact (guest-report corrupt=0).  Skips without /dev/kvm.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "libqmp.h"
#include "aging-util.h"

/* memory-aging-set with @args (JSON members after the id); its time. */
static double aging_set(QmpConn *c, const char *args)
{
	g_autofree char *cmd = g_strdup_printf("{'execute':'memory-aging-set',"
					       "'arguments':{'id':'age0',%s}}",
					       args);
	gint64 t0 = g_get_monotonic_time();

	qmp_cmd_ok(c, cmd);
	return (g_get_monotonic_time() - t0) / 1000.0;
}

static void check_coverage(JsonNode *info, bool reads, double fraction)
{
	JsonObject *cov =
		json_object_get_object_member(json_node_get_object(info),
					      "coverage");

	g_assert_cmpint(json_object_get_boolean_member(cov, "reads"), ==,
			reads);
	g_assert_true(json_object_get_boolean_member(cov, "writes"));
	g_assert_cmpfloat(json_object_get_double_member(cov,
							"sampled-fraction"),
			  ==, fraction);
	/* dirty-log says it is blind to reads, sampled uffd says it samples */
	g_assert_cmpint(json_object_has_member(cov, "note"), ==,
			!reads || fraction < 1.0);
}

/*
 * Switch with @args; the reply must name @backend with its coverage, the
 * same Aging must count on (no reset to 0 scans), the new backend must
 * scan, and the cold data, idle since the fill, must be cold a few scans
 * later: ages carried over (or, @restart, started again at the switch)
 * and the new backend's first scans did not mark the memdev young.
 */
static void switch_to_ex(QmpConn *c, const char *args, const char *backend,
			 bool reads, double fraction, bool restart)
{
	const char *cold = ",'arguments':{'cold-threshold-ms':200}";
	gint64 s0 = aging_scans(c), s1;
	g_autoptr(JsonNode) info = NULL;
	double ms;

	ms = aging_set(c, args);
	info = aging_query(c, cold);
	s1 = info_int(info, "scans");
	g_test_message("switch {%s}: %.2f ms, scans %" G_GINT64_FORMAT
		       " -> %" G_GINT64_FORMAT,
		       args, ms, s0, s1);
	g_assert_cmpstr(info_str(info, "backend"), ==, backend);
	check_coverage(info, reads, fraction);
	g_assert_true(json_object_get_boolean_member(json_node_get_object(info),
						     "enabled"));
	g_assert_cmpint(s1, >=, s0);
	/* 200 ms are 4 scans: a restart proves nothing cold before */
	if (restart)
		g_assert_cmpint(info_int(info, "proven-cold-bytes"), ==, 0);
	else
		g_assert_cmpint(info_int(info, "proven-cold-bytes"), >=,
				COLD_DATA);
	g_assert_cmpint(wait_scans(c, s1 + 6, 5000), >=, s1 + 6);
	g_clear_pointer(&info, json_node_unref);
	info = aging_query(c, cold);
	g_assert_cmpstr(info_str(info, "backend"), ==, backend);
	g_assert_cmpint(info_int(info, "total-bytes"), ==, RAM);
	g_assert_cmpint(info_int(info, "cold-bytes"), >=, COLD_DATA);
	g_assert_cmpint(info_int(info, "proven-cold-bytes"), >=, COLD_DATA);
	qmp_vm_assert_running(c);
}

static void switch_to(QmpConn *c, const char *args, const char *backend,
		      bool reads, double fraction)
{
	switch_to_ex(c, args, backend, reads, fraction, false);
}

/*
 * After a switch to uffd 1 in 4: once the new sample has been armed for
 * 2 scans, cold bytes at 100 ms (2 scans) are a sampled estimate whose
 * stated error holds the hot/cold split (as in test_uffd_sampled).
 */
static void check_estimate(QmpConn *c)
{
	gint64 end = timescale_deadline(10000), cold, err = 0;
	JsonNode *info = NULL;

	for (;;) {
		g_clear_pointer(&info, json_node_unref);
		info = aging_query(c, ",'arguments':{'cold-threshold-ms':100}");
		cold = info_int(info, "cold-bytes");
		if ((count_estimates(info, &err) == 2 &&
		     cold >= RAM - HOT - SLACK - err &&
		     cold <= RAM - HOT + err) ||
		    g_get_monotonic_time() > end)
			break;
		g_usleep(20000);
	}
	g_test_message("after the switch, 1/4 at 100 ms: cold %" G_GINT64_FORMAT
		       " +- %" G_GINT64_FORMAT,
		       cold, err);
	g_assert_cmpint(count_estimates(info, &err), ==, 2);
	g_assert_cmpint(err, >, 0);
	g_assert_cmpint(err, <, 4 * MiB);
	g_assert_cmpint(cold, >=, RAM - HOT - SLACK - err);
	g_assert_cmpint(cold, <=, RAM - HOT + err);
	json_node_unref(info);
}

/*
 * dirty-log -> uffd (sampled 1/64) -> uffd full -> dirty-log -> auto
 * (uffd, 1 in 4) -> uffd full -> uffd 1 in 4 -> dirty-log on a memfd
 * while the guest writes its hot set and verifies every page it touches;
 * exact ages with uffd full and dirty-log, sampled estimates with their
 * stated error after the switches to 1 in 4.  A corrupted page would end
 * kvmage with status 1.
 */
static void test_switch(void)
{
	QmpProc *p = vm_start_with("memory-backend-memfd", "dirty-log");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) info = NULL;
	gint64 s0;

	info = wait_settled(c, 12, 15000);
	g_assert_cmpstr(info_str(info, "backend"), ==, "dirty-log");
	check_coverage(info, false, 1.0);
	check_ages(info);

	switch_to_ex(c, "'backend':'uffd'", "uffd", true, 1.0 / 64, true);
	switch_to(c, "'mode':'full'", "uffd", true, 1.0);
	g_clear_pointer(&info, json_node_unref);
	info = wait_settled(c, aging_scans(c) + 12, 15000);
	check_ages(info);
	switch_to(c, "'backend':'dirty-log'", "dirty-log", false, 1.0);
	g_clear_pointer(&info, json_node_unref);
	info = wait_settled(c, aging_scans(c) + 12, 15000);
	check_ages(info);
	switch_to_ex(c, "'backend':'auto','sample':4", "uffd", true, 0.25,
		     true);
	check_estimate(c);
	/* uffd to uffd: the trackers stay, the sample changes */
	switch_to(c, "'mode':'full'", "uffd", true, 1.0);
	switch_to(c, "'sample':4", "uffd", true, 0.25);
	check_estimate(c);

	/* disabled: the switch builds the new backend, no scan runs */
	aging_set(c, "'enable':false");
	s0 = aging_scans(c);
	aging_set(c, "'backend':'dirty-log'");
	g_clear_pointer(&info, json_node_unref);
	info = aging_query(c, "");
	g_assert_cmpstr(info_str(info, "backend"), ==, "dirty-log");
	g_assert_false(
		json_object_get_boolean_member(json_node_get_object(info),
					       "enabled"));
	timescale_sleep_ms(200); /* time for a scan that must not come */
	g_assert_cmpint(aging_scans(c), ==, s0);
	aging_set(c, "'enable':true");
	g_assert_cmpint(wait_scans(c, s0 + 3, 5000), >=, s0 + 3);
	qmp_vm_assert_running(c);
	qmp_vm_quit(p, c, 5000);
}

/* The last "stage=N" of the -d ucall log at @path, or 0. */
static gint64 guest_stage(const char *path)
{
	g_autofree char *log = NULL;
	const char *s;

	if (!g_file_get_contents(path, &log, NULL, NULL))
		return 0;
	s = g_strrstr(log, "stage=");
	return s ? g_ascii_strtoll(s + 6, NULL, 10) : 0;
}

/* Start kvmage with @args, its stdout and stderr in @out and @err. */
static QmpProc *vm_spawn_logged(const char *const *args, const char *out,
				const char *err)
{
	QmpProc *p = g_new0(QmpProc, 1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) gerr = NULL;
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int efd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int i;

	g_assert_cmpint(ofd, >=, 0);
	g_assert_cmpint(efd, >=, 0);
	p->dir = g_dir_make_tmp("qmp-aging-XXXXXX", &gerr);
	g_assert_no_error(gerr);
	p->sock = g_build_filename(p->dir, "qmp.sock", NULL);
	g_ptr_array_add(argv, g_strdup(g_getenv("KVMAGE_BINARY")));
	g_ptr_array_add(argv, g_strdup("-qmp"));
	g_ptr_array_add(argv,
			g_strdup_printf("unix:%s,server=on,wait=off", p->sock));
	for (i = 0; args[i]; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	g_ptr_array_add(argv, NULL);
	g_spawn_async_with_pipes_and_fds(NULL, (const char *const *)argv->pdata,
					 NULL, G_SPAWN_DO_NOT_REAP_CHILD,
					 qmp_child_setup, NULL, -1, ofd, efd,
					 NULL, NULL, 0, &p->pid, NULL, NULL,
					 NULL, &gerr);
	g_assert_no_error(gerr);
	close(ofd);
	close(efd);
	qmp_wait_path(p->sock, p);
	return p;
}

#define FIN_PASSES 60
#define FIN_PAGES  8192 /* 32 MiB */

/*
 * The guest sweeps its 32 MiB area every pass, writing every other page
 * and checking every page it touches, for FIN_PASSES passes, then checks
 * every page once more and reports.  While it sweeps, three rounds of
 * switches uffd full -> dirty-log -> uffd 1/4 -> uffd full, then a last
 * one to dirty-log; it must then finish on its own with every page
 * intact.  How fast a pass goes depends on the backend and the host
 * (here 32 MiB sweeps ran at ~2/s with uffd full, ~80/s with uffd 1/4
 * and ~500/s with dirty-log), so the guest waits between rounds in uffd
 * full, the slow one, and spends only the switch times in the others:
 * the switches are done long before the last pass.
 */
static void test_switch_finish(void)
{
	g_autofree char *dir = g_dir_make_tmp("aging-fin-XXXXXX", NULL);
	g_autofree char *out = g_build_filename(dir, "stdout", NULL);
	g_autofree char *err = g_build_filename(dir, "stderr", NULL);
	g_autofree char *append =
		g_strdup_printf("size=32M pattern=scan rw=mixed verify=on passes=%d",
				FIN_PASSES);
	const char *args[] = {
		"-nodefaults",
		"-d",
		"ucall",
		"-machine",
		"pc,memory-backend=ram0",
		"-object",
		"memory-backend-memfd,id=ram0,size=96M",
		"-object",
		aging_obj("uffd,mode=full"),
		"-kernel",
		workload,
		"-append",
		append,
		NULL,
	};
	static const char *const steps[] = {
		"'backend':'dirty-log'",
		"'backend':'uffd','sample':4",
		"'mode':'full'",
	};
	g_autofree char *report = NULL, *log = NULL, *want_passes = NULL;
	g_autofree char *want_pages = NULL;
	QmpProc *p = vm_spawn_logged(args, out, err);
	QmpConn *c = qmp_conn_negotiated(p->sock);
	gint64 end = timescale_deadline(30000), stage;

	/* the fill is done and the sweeps have begun */
	while (guest_stage(err) < 2 && g_get_monotonic_time() < end)
		g_usleep(10000);
	g_assert_cmpint(guest_stage(err), >=, 2);
	for (int round = 0; round < 3; round++) {
		/* dwell in uffd full */
		wait_scans(c, aging_scans(c) + 2, 5000);
		for (guint k = 0; k < G_N_ELEMENTS(steps); k++) {
			double ms;

			g_assert_false(qmp_proc_wait(p, 0));
			ms = aging_set(c, steps[k]);
			g_test_message("round %d {%s}: %.2f ms at stage "
				       "%" G_GINT64_FORMAT,
				       round, steps[k], ms, guest_stage(err));
		}
	}
	g_assert_false(qmp_proc_wait(p, 0));
	aging_set(c, "'backend':'dirty-log'");
	/* every switch happened while the guest was still sweeping */
	stage = guest_stage(err);
	g_test_message("switches done at stage %" G_GINT64_FORMAT, stage);
	g_assert_cmpint(stage, <, 2 + FIN_PASSES);
	qmp_vm_assert_running(c);
	qmp_conn_free(c);
	g_assert_true(qmp_proc_wait(p, 120000));
	g_assert_true(g_file_get_contents(out, &report, NULL, NULL));
	g_assert_true(g_file_get_contents(err, &log, NULL, NULL));
	g_test_message("guest: %s", report);
	if (!WIFEXITED(p->status) || WEXITSTATUS(p->status))
		g_test_message("kvmage stderr tail: %s",
			       log + MAX(0, (long)strlen(log) - 2000L));
	g_assert_true(WIFEXITED(p->status));
	g_assert_cmpint(WEXITSTATUS(p->status), ==, 0);
	g_assert_nonnull(strstr(report, "guest-report: "));
	g_assert_nonnull(strstr(report, " corrupt=0 "));
	want_passes = g_strdup_printf(" passes=%d ", FIN_PASSES);
	want_pages = g_strdup_printf(" verified_pages=%d\n", FIN_PAGES);
	g_assert_nonnull(strstr(report, want_passes));
	g_assert_nonnull(strstr(report, want_pages));
	qmp_proc_free(p);
	unlink(out);
	unlink(err);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	int status;

	workload = qmp_vm_workload_or_skip(argc, argv, &status);
	if (!workload)
		return status;
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp/aging/switch", test_switch);
	g_test_add_func("/qmp/aging/switch-finish", test_switch_finish);
	return g_test_run();
}
