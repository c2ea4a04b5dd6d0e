/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Aging over QMP against the real kvmage and the workload guest.
 *
 * Ground truth: pattern=hotcold rw=write size=64M hot=4M writes the
 * first 4 MiB of its data area in every pass and the other 60 MiB only
 * once, in the fill.  The rest of the 96 MiB memdev (program, stack, page
 * tables, unused RAM) is written at most at start-up.  So after enough
 * 50 ms dirty-log scans the youngest histogram bin must hold the hot set
 * (plus at most a few pages the guest keeps writing: stack, ucall page)
 * and cold-bytes must be the rest of the memdev.
 *
 * The same with a memfd memdev and backend=uffd,mode=full, which sees
 * reads and writes; mode=sampled,sample=4 gets the same cold bytes above
 * its 4-scan resolution (from ages, no error stated) and below it an
 * estimate with cold-bytes-error (dirty-log and full state none); auto
 * picks uffd on memfd.
 *
 * Also: backend=access-log fails with KVMMissingCap at start-up and over
 * memory-aging-set, uffd on private RAM says why (and the old backend
 * keeps scanning), memory-aging-set changes the interval and stops and
 * restarts scanning, and an unknown id gives DeviceNotFound.
 * Skips without /dev/kvm.  Run-time backend switches are in
 * test-qmp-aging-switch.c.
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

/*
 * The scan costs are nanoseconds, measured as such: over 20 scans not
 * every figure is a multiple of 1000 (a microsecond clock times 1000).
 */
static void check_cost_ns(QmpConn *c)
{
	unsigned fine = 0;

	for (int i = 0; i < 20; i++) {
		g_autoptr(JsonNode) info = aging_query(c, "");
		JsonObject *cost =
			json_object_get_object_member(json_node_get_object(
							      info),
						      "last-scan-cost");

		fine += json_object_get_int_member(cost, "kernel-ns") % 1000 !=
			0;
		fine += json_object_get_int_member(cost, "user-ns") % 1000 != 0;
		g_usleep(IVAL * 1000);
	}
	g_assert_cmpuint(fine, >, 0);
}

static void test_hotcold(void)
{
	gint64 t0 = g_get_monotonic_time();
	QmpProc *p = vm_start();
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) info = NULL;
	g_autofree char *cls = NULL;
	g_autofree char *args = NULL;
	gint64 s0, s1, ran_ms;

	/*
	 * 4 intervals of idleness make a page cold.  Wait for 12 scans and
	 * for the guest's fill (one write to every data page, slow when the
	 * host is loaded) to be older than the youngest bin; a broken aging
	 * runs into the timeout and fails check_ages().
	 */
	info = wait_settled(c, 12, 15000);
	g_assert_cmpint(info_int(info, "cold-threshold-ms"), ==, 200);
	g_assert_cmpint(info_int(info, "interval-ms"), ==, IVAL);
	g_assert_true(json_object_get_boolean_member(json_node_get_object(info),
						     "enabled"));
	check_backends(info);
	check_ages(info);
	g_clear_pointer(&info, json_node_unref);
	check_cost_ns(c);
	/* default threshold: ten intervals */
	info = aging_query(c, "");
	g_assert_cmpint(info_int(info, "cold-threshold-ms"), ==, 10 * IVAL);

	/* errors, and nothing changes */
	cls = cmd_error(c, "{'execute':'memory-aging-set','arguments':"
			   "{'id':'nope','interval':100}}");
	g_assert_cmpstr(cls, ==, "DeviceNotFound");
	g_free(cls);
	cls = cmd_error(c, "{'execute':'memory-aging-set','arguments':"
			   "{'id':'age0','backend':'access-log'}}");
	g_assert_cmpstr(cls, ==, "KVMMissingCap");
	g_free(cls);
	cls = cmd_error(c, "{'execute':'memory-aging-set','arguments':"
			   "{'id':'age0','backend':'uffd'}}");
	g_assert_cmpstr(cls, ==, "GenericError");
	g_free(cls);
	cls = cmd_error(c, "{'execute':'memory-aging-set','arguments':"
			   "{'id':'age0','interval':5}}");
	g_assert_cmpstr(cls, ==, "GenericError");
	g_free(cls);
	/* mode=sampled and sample= are for uffd only */
	cls = cmd_error(c, "{'execute':'memory-aging-set','arguments':"
			   "{'id':'age0','mode':'sampled'}}");
	g_assert_cmpstr(cls, ==, "GenericError");
	g_free(cls);
	cls = cmd_error(c, "{'execute':'memory-aging-set','arguments':"
			   "{'id':'age0','backend':'dirty-log','sample':4}}");
	g_assert_cmpstr(cls, ==, "GenericError");
	/* the refused switches left dirty-log scanning */
	g_clear_pointer(&info, json_node_unref);
	info = aging_query(c, "");
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(info),
						      "backend"),
			==, "dirty-log");
	s0 = info_int(info, "scans");
	g_assert_cmpint(wait_scans(c, s0 + 3, 5000), >=, s0 + 3);
	qmp_cmd_ok(c, "{'execute':'memory-aging-set','arguments':"
		      "{'id':'age0','backend':'auto'}}");

	/* interval: reported and applied */
	qmp_cmd_ok(c, "{'execute':'memory-aging-set','arguments':"
		      "{'id':'age0','interval':100}}");
	g_clear_pointer(&info, json_node_unref);
	info = aging_query(c, "");
	g_assert_cmpint(info_int(info, "interval-ms"), ==, 100);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(info),
						      "backend"),
			==, "dirty-log");
	/* ages keep their time: nothing is idle longer than kvmage ran */
	ran_ms = (g_get_monotonic_time() - t0) / 1000;
	args = g_strdup_printf(",'arguments':{'cold-threshold-ms':%" G_GINT64_FORMAT
			       "}",
			       ran_ms + 200);
	g_clear_pointer(&info, json_node_unref);
	info = aging_query(c, args);
	g_test_message("idle %" G_GINT64_FORMAT " ms or more: %" G_GINT64_FORMAT
		       " bytes",
		       ran_ms + 200, info_int(info, "cold-bytes"));
	g_assert_cmpint(info_int(info, "cold-bytes"), ==, 0);
	s0 = info_int(info, "scans");
	/*
	 * Not scaled: 550 ms of kvmage's intervals; the count of scans in
	 * it is checked from both sides.
	 */
	g_usleep(550 * 1000);
	s1 = aging_scans(c);
	/* 5 intervals of 100 ms: not 11 of 50 ms */
	g_assert_cmpint(s1 - s0, >=, 2);
	g_assert_cmpint(s1 - s0, <=, 7);

	/* disable: no more scans; enable: they resume */
	qmp_cmd_ok(c, "{'execute':'memory-aging-set','arguments':"
		      "{'id':'age0','enable':false}}");
	g_clear_pointer(&info, json_node_unref);
	info = aging_query(c, "");
	g_assert_false(
		json_object_get_boolean_member(json_node_get_object(info),
					       "enabled"));
	s0 = info_int(info, "scans");
	timescale_sleep_ms(300); /* time for a scan that must not come */
	g_assert_cmpint(aging_scans(c), ==, s0);
	qmp_cmd_ok(c, "{'execute':'memory-aging-set','arguments':"
		      "{'id':'age0','enable':true,'interval':50}}");
	g_assert_cmpint(wait_scans(c, s0 + 3, 5000), >=, s0 + 3);
	/* ages survived the pause: the hot/cold split still holds */
	g_clear_pointer(&info, json_node_unref);
	info = wait_settled(c, s0 + 3, 5000);
	check_ages(info);

	qmp_vm_quit(p, c, 5000);
}

/* uffd full on a memfd: reads and writes seen, every page, exact ages */
static void test_uffd_full(void)
{
	QmpProc *p = vm_start_with("memory-backend-memfd", "uffd,mode=full");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) info = NULL;
	JsonObject *cov, *e;
	JsonArray *b;
	g_autofree char *cls = NULL;

	info = wait_settled(c, 12, 15000);
	g_assert_cmpstr(info_str(info, "backend"), ==, "uffd");
	check_ages(info);
	cov = json_object_get_object_member(json_node_get_object(info),
					    "coverage");
	g_assert_true(json_object_get_boolean_member(cov, "reads"));
	g_assert_true(json_object_get_boolean_member(cov, "writes"));
	g_assert_cmpfloat(json_object_get_double_member(cov,
							"sampled-fraction"),
			  ==, 1.0);
	b = json_object_get_array_member(json_node_get_object(info),
					 "backends");
	e = json_array_get_object_element(b, 2);
	g_assert_cmpstr(json_object_get_string_member(e, "backend"), ==,
			"uffd");
	g_assert_true(json_object_get_boolean_member(e, "available"));
	g_assert_false(json_object_has_member(e, "reason"));
	/* sample= contradicts mode=full; sample out of range */
	cls = cmd_error(c, "{'execute':'memory-aging-set','arguments':"
			   "{'id':'age0','mode':'full','sample':4}}");
	g_assert_cmpstr(cls, ==, "GenericError");
	g_free(cls);
	cls = cmd_error(c, "{'execute':'memory-aging-set','arguments':"
			   "{'id':'age0','sample':0}}");
	g_assert_cmpstr(cls, ==, "GenericError");
	g_clear_pointer(&info, json_node_unref);
	info = aging_query(c, "");
	g_assert_cmpfloat(json_object_get_double_member(
				  json_object_get_object_member(json_node_get_object(
									info),
								"coverage"),
				  "sampled-fraction"),
			  ==, 1.0);
	qmp_vm_quit(p, c, 5000);
}

/*
 * uffd sampled 1 in 4: each page is re-armed every 4 scans, so ages have
 * a resolution of 4 intervals (200 ms); above that threshold cold bytes
 * match the ground truth as with full, counted from ages (no error).
 * Below it (100 ms: 2 intervals) they are estimated from the quarter of
 * the pages armed 2 scans ago, and the reply states the error; so do the
 * two histogram bins around the 100 ms edge (whatever the threshold), and
 * no other.
 */
static void test_uffd_sampled(void)
{
	QmpProc *p = vm_start_with("memory-backend-memfd",
				   "uffd,mode=sampled,sample=4");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	const char *args = ",'arguments':{'cold-threshold-ms':400}";
	gint64 end = timescale_deadline(10000), cold, err = 0;
	JsonNode *info;

	for (;;) {
		info = aging_query(c, args);
		cold = info_int(info, "cold-bytes");
		if ((info_int(info, "scans") >= 16 &&
		     cold >= RAM - HOT - SLACK && cold <= RAM - HOT) ||
		    g_get_monotonic_time() > end)
			break;
		json_node_unref(info);
		g_usleep(20000);
	}
	g_test_message("sampled 1/4: cold %" G_GINT64_FORMAT
		       " scans %" G_GINT64_FORMAT,
		       cold, info_int(info, "scans"));
	g_assert_cmpfloat(json_object_get_double_member(
				  json_object_get_object_member(json_node_get_object(
									info),
								"coverage"),
				  "sampled-fraction"),
			  ==, 0.25);
	g_assert_cmpint(cold, >=, RAM - HOT - SLACK);
	g_assert_cmpint(cold, <=, RAM - HOT);
	/* 400 ms, 8 scans: from ages; bins at the 100 ms edge: estimates */
	g_assert_cmpint(count_estimates(info, &err), ==, 2);
	g_assert_cmpint(err, ==, -1);

	/*
	 * Scans are timed here, not tied to passes: a pass slowed by the
	 * host can leave hot pages untouched for 100 ms (they then count
	 * as cold, rightly).  So wait, as above, for a query where the
	 * estimate's interval holds the hot/cold split.
	 */
	end = timescale_deadline(10000);
	for (;;) {
		json_node_unref(info);
		info = aging_query(c, ",'arguments':{'cold-threshold-ms':100}");
		cold = info_int(info, "cold-bytes");
		g_assert_cmpint(count_estimates(info, &err), ==, 2);
		if ((cold >= RAM - HOT - SLACK - err &&
		     cold <= RAM - HOT + err) ||
		    g_get_monotonic_time() > end)
			break;
		g_usleep(20000);
	}
	g_test_message("sampled 1/4 at 100 ms: cold %" G_GINT64_FORMAT
		       " +- %" G_GINT64_FORMAT,
		       cold, err);
	g_assert_cmpint(err, >, 0);
	g_assert_cmpint(err, <, 4 * MiB);
	g_assert_cmpint(cold, >=, RAM - HOT - SLACK - err);
	g_assert_cmpint(cold, <=, RAM - HOT + err);
	json_node_unref(info);
	qmp_vm_quit(p, c, 5000);
}

/* auto on a memfd picks uffd, sampled 1 in 64 by default */
static void test_uffd_auto(void)
{
	QmpProc *p = vm_start_with("memory-backend-memfd", "auto");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) info = aging_query(c, "");
	JsonObject *cov;

	g_assert_cmpstr(info_str(info, "backend"), ==, "uffd");
	cov = json_object_get_object_member(json_node_get_object(info),
					    "coverage");
	g_assert_true(json_object_get_boolean_member(cov, "reads"));
	g_assert_cmpfloat(json_object_get_double_member(cov,
							"sampled-fraction"),
			  ==, 1.0 / 64);
	qmp_vm_quit(p, c, 5000);
}

/*
 * kvmage, with -object @extra too if not NULL, must exit 1 with one line
 * on stderr containing @want.
 */
static void startup_fails_with(const char *extra, const char *obj,
			       const char *want)
{
	const char *argv[] = { g_getenv("KVMAGE_BINARY"),
			       "-nodefaults",
			       "-machine",
			       "pc,memory-backend=ram0",
			       "-object",
			       "memory-backend-ram,id=ram0,size=96M",
			       "-object",
			       obj,
			       "-kernel",
			       workload,
			       "-append",
			       "size=8M passes=1",
			       extra ? "-object" : NULL,
			       extra,
			       NULL };
	g_autofree char *out = NULL, *err = NULL;
	g_autoptr(GError) gerr = NULL;
	int status;

	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL,
				   &out, &err, &status, &gerr));
	g_assert_no_error(gerr);
	g_test_message("%s -> %s", obj, err);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 1);
	g_assert_true(g_str_has_prefix(err, "kvmage: -object memory-aging"));
	g_assert_nonnull(strstr(err, want));
	/* one line */
	g_assert_cmpint(strchr(err, '\n') - err, ==, (long)strlen(err) - 1);
}

static void startup_fails(const char *obj, const char *want)
{
	startup_fails_with(NULL, obj, want);
}

static void test_startup_errors(void)
{
	startup_fails(aging_obj("access-log"), "KVM_CAP_ACCESS_LOG");
	startup_fails(aging_obj("uffd"),
		      "backend=uffd: memdev 'ram0' is private RAM");
	startup_fails("memory-aging,id=a,memdev=ram0,interval=50,mode=full,"
		      "sample=4",
		      "sample= applies to mode=sampled only");
	startup_fails("memory-aging,id=a,memdev=ram0,interval=5",
		      "Parameter 'interval' expects an integer from 10");
	/* no such backend, and one that exists but is not guest RAM */
	startup_fails("memory-aging,id=a,memdev=nope,interval=50",
		      "memory-aging,id=a: memory backend 'nope' does not "
		      "exist (memdev= takes the id of an -object "
		      "memory-backend-*)");
	startup_fails_with("memory-backend-ram,id=spare,size=8M",
			   "memory-aging,id=a,memdev=spare,interval=50",
			   "memory-aging,id=a: memdev 'spare' is not guest "
			   "RAM (give it to -machine memory-backend=");
	startup_fails("memory-aging,id=a,memdev=a,interval=50",
		      "memdev 'a' is the id of a memory-aging object, not of "
		      "a memory backend");
	startup_fails("memory-aging,id=a,memdev=ram0,interval=50,mode=sampled",
		      "uffd backend only");
	/* any number of memdevs can be aged, each by one object */
	startup_fails_with("memory-aging,id=b,memdev=ram0,interval=50",
			   "memory-aging,id=a,memdev=ram0,interval=50",
			   "memory-aging,id=b: memdev 'ram0' is already aged "
			   "by memory-aging 'a' (one object per memdev)");
}

int main(int argc, char **argv)
{
	int status;

	workload = qmp_vm_workload_or_skip(argc, argv, &status);
	if (!workload)
		return status;
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp/aging/hotcold", test_hotcold);
	g_test_add_func("/qmp/aging/startup-errors", test_startup_errors);
	g_test_add_func("/qmp/aging/uffd-full", test_uffd_full);
	g_test_add_func("/qmp/aging/uffd-sampled", test_uffd_sampled);
	g_test_add_func("/qmp/aging/uffd-auto", test_uffd_auto);
	return g_test_run();
}
