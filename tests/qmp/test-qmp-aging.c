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
 *
 * Run-time switches on a memfd with the guest running and verifying
 * every page it touches: dirty-log -> uffd -> uffd full -> dirty-log ->
 * auto (uffd, sample 4), each reported with its coverage, scans counting
 * on and ages carried over (the cold set stays cold through a switch);
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

#define MiB	  (1024 * 1024LL)
#define RAM	  (96 * MiB)
#define HOT	  (4 * MiB)
#define COLD_DATA (60 * MiB)
#define SLACK	  (1 * MiB) /* guest pages written besides the hot set */
#define IVAL	  50

static const char *workload;

static const char *aging_obj(const char *backend)
{
	static char buf[160];

	snprintf(buf, sizeof(buf),
		 "memory-aging,id=age0,memdev=ram0,backend=%s,interval=%d",
		 backend, IVAL);
	return buf;
}

/* @mem: the memdev type; @backend: backend= and any mode= */
static QmpProc *vm_start_with(const char *mem, const char *backend)
{
	g_autofree char *memobj = g_strdup_printf("%s,id=ram0,size=96M", mem);
	const char *args[] = {
		"-machine", "pc,memory-backend=ram0",
		"-object",  memobj,
		"-object",  aging_obj(backend),
		"-kernel",  workload,
		"-append",  "size=64M hot=4M pattern=hotcold passes=0 rw=write",
		NULL,
	};

	return qmp_proc_start(g_getenv("KVMAGE_BINARY"), args);
}

static QmpProc *vm_start(void)
{
	return vm_start_with("memory-backend-ram", "dirty-log");
}

/* The single MemoryAgingInfo of query-memory-aging (@args: JSON or ""). */
static JsonNode *aging_query(QmpConn *c, const char *args)
{
	g_autofree char *cmd =
		g_strdup_printf("{'execute':'query-memory-aging'%s}", args);
	g_autoptr(JsonNode) reply = qmp_cmd(c, cmd);
	JsonObject *o = json_node_get_object(reply);
	JsonArray *a;

	if (!json_object_has_member(o, "return"))
		g_error("%s failed: %s", cmd, json_to_string(reply, FALSE));
	a = json_object_get_array_member(o, "return");
	g_assert_cmpuint(json_array_get_length(a), ==, 1);
	return json_node_copy(json_array_get_element(a, 0));
}

static gint64 info_int(JsonNode *n, const char *key)
{
	return json_object_get_int_member(json_node_get_object(n), key);
}

static gint64 aging_scans(QmpConn *c)
{
	g_autoptr(JsonNode) n = aging_query(c, "");

	return info_int(n, "scans");
}

/* Wait until at least @n scans are done; the count reached. */
static gint64 wait_scans(QmpConn *c, gint64 n, int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + timeout_ms * 1000LL, s;

	while ((s = aging_scans(c)) < n && g_get_monotonic_time() < end)
		g_usleep(20000);
	return s;
}

/*
 * Query (cold threshold 200 ms) until @scans are done, the youngest bin
 * holds no more than the hot set and SLACK and every other page is cold
 * (the fill has aged past the threshold), or @timeout_ms passes.
 */
static JsonNode *wait_settled(QmpConn *c, gint64 scans, int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + timeout_ms * 1000LL;
	const char *args = ",'arguments':{'cold-threshold-ms':200}";

	for (;;) {
		JsonNode *n = aging_query(c, args);
		JsonArray *h =
			json_object_get_array_member(json_node_get_object(n),
						     "histogram");
		gint64 young =
			json_object_get_int_member(json_array_get_object_element(h,
										 0),
						   "bytes");

		if ((info_int(n, "scans") >= scans && young <= HOT + SLACK &&
		     young + info_int(n, "cold-bytes") ==
			     info_int(n, "total-bytes")) ||
		    g_get_monotonic_time() > end)
			return n;
		json_node_unref(n);
		g_usleep(20000);
	}
}

/* The error class of @cmd, which must fail. */
static char *cmd_error(QmpConn *c, const char *cmd)
{
	g_autoptr(JsonNode) reply = qmp_cmd(c, cmd);
	JsonObject *o = json_node_get_object(reply);

	if (!json_object_has_member(o, "error"))
		g_error("%s succeeded: %s", cmd, json_to_string(reply, FALSE));
	return g_strdup(
		json_object_get_string_member(json_object_get_object_member(o,
									    "error"),
					      "class"));
}

static void check_backends(JsonNode *info)
{
	JsonObject *o = json_node_get_object(info);
	JsonArray *b = json_object_get_array_member(o, "backends");
	JsonObject *cov = json_object_get_object_member(o, "coverage");

	g_assert_cmpstr(json_object_get_string_member(o, "backend"), ==,
			"dirty-log");
	g_assert_cmpuint(json_array_get_length(b), ==, 3);
	for (guint i = 0; i < 3; i++) {
		JsonObject *e = json_array_get_object_element(b, i);
		const char *name = json_object_get_string_member(e, "backend");
		bool avail = json_object_get_boolean_member(e, "available");

		g_assert_cmpint(avail, ==, !strcmp(name, "dirty-log"));
		g_assert_cmpint(json_object_has_member(e, "reason"), ==,
				!avail);
		if (!strcmp(name, "access-log"))
			g_assert_nonnull(
				strstr(json_object_get_string_member(e,
								     "reason"),
				       "KVM_CAP_ACCESS_LOG"));
		if (!strcmp(name, "uffd"))
			g_assert_nonnull(
				strstr(json_object_get_string_member(e,
								     "reason"),
				       "private RAM"));
	}
	/* dirty-log sees writes only, every page, and says so */
	g_assert_false(json_object_get_boolean_member(cov, "reads"));
	g_assert_true(json_object_get_boolean_member(cov, "writes"));
	g_assert_cmpfloat(json_object_get_double_member(cov,
							"sampled-fraction"),
			  ==, 1.0);
	g_assert_true(json_object_has_member(cov, "note"));
}

/*
 * Bins that state an error-bytes (sampled estimates); *@cold_err is the
 * cold-bytes-error, or -1 without one.
 */
static int count_estimates(JsonNode *info, gint64 *cold_err)
{
	JsonObject *o = json_node_get_object(info);
	JsonArray *h = json_object_get_array_member(o, "histogram");
	int bins = 0;

	for (guint i = 0; i < json_array_get_length(h); i++)
		bins += json_object_has_member(json_array_get_object_element(h,
									     i),
					       "error-bytes");
	*cold_err = json_object_has_member(o, "cold-bytes-error") ?
			    info_int(info, "cold-bytes-error") :
			    -1;
	return bins;
}

/* The hot set is young, the rest of the memdev cold: counted, exact. */
static void check_ages(JsonNode *info)
{
	JsonObject *o = json_node_get_object(info);
	JsonArray *h = json_object_get_array_member(o, "histogram");
	gint64 total = info_int(info, "total-bytes");
	gint64 cold = info_int(info, "cold-bytes");
	gint64 young =
		json_object_get_int_member(json_array_get_object_element(h, 0),
					   "bytes");
	gint64 sum = 0;

	for (guint i = 0; i < json_array_get_length(h); i++)
		sum += json_object_get_int_member(json_array_get_object_element(h,
										i),
						  "bytes");
	g_test_message("total %" G_GINT64_FORMAT " young %" G_GINT64_FORMAT
		       " cold %" G_GINT64_FORMAT " scans %" G_GINT64_FORMAT,
		       total, young, cold, info_int(info, "scans"));
	g_assert_cmpint(total, ==, RAM);
	g_assert_cmpint(sum, ==, total);
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(h,
										 0),
						   "upper-bound-ms"),
			==, 100);
	/* young: the hot set and at most SLACK more */
	g_assert_cmpint(young, >=, HOT);
	g_assert_cmpint(young, <=, HOT + SLACK);
	/* cold: everything else, so the 60 MiB cold data above all */
	g_assert_cmpint(cold, >=, COLD_DATA);
	g_assert_cmpint(cold, >=, RAM - HOT - SLACK);
	g_assert_cmpint(cold, <=, RAM - HOT);
	/* from per-page ages: no error stated anywhere */
	g_assert_cmpint(count_estimates(info, &cold), ==, 0);
	g_assert_cmpint(cold, ==, -1);
}

static void test_hotcold(void)
{
	QmpProc *p = vm_start();
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) info = NULL;
	g_autofree char *cls = NULL;
	gint64 s0, s1;

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
	s0 = info_int(info, "scans");
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
	g_usleep(300 * 1000);
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

static const char *info_str(JsonNode *n, const char *key)
{
	return json_object_get_string_member(json_node_get_object(n), key);
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
	gint64 end = g_get_monotonic_time() + 10000 * 1000LL, cold, err = 0;
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
	end = g_get_monotonic_time() + 10000 * 1000LL;
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

/* kvmage must exit 1 with one line on stderr containing @want. */
static void startup_fails(const char *obj, const char *want)
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
	startup_fails("memory-aging,id=a,memdev=nope,interval=50",
		      "memdev 'nope' is not guest RAM");
	startup_fails("memory-aging,id=a,memdev=ram0,interval=50,mode=sampled",
		      "uffd backend only");
}

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
 * scan, and the cold data, idle since the
 * fill, must still be cold a few scans later: ages carried over and the
 * new backend's first scans did not mark the memdev young.
 */
static void switch_to(QmpConn *c, const char *args, const char *backend,
		      bool reads, double fraction)
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
	g_assert_cmpint(wait_scans(c, s1 + 3, 5000), >=, s1 + 3);
	g_clear_pointer(&info, json_node_unref);
	info = aging_query(c, cold);
	g_assert_cmpstr(info_str(info, "backend"), ==, backend);
	g_assert_cmpint(info_int(info, "total-bytes"), ==, RAM);
	g_assert_cmpint(info_int(info, "cold-bytes"), >=, COLD_DATA);
	qmp_vm_assert_running(c);
}

/*
 * After a switch to uffd 1 in 4: once the new sample has been armed for
 * 2 scans, cold bytes at 100 ms (2 scans) are a sampled estimate whose
 * stated error holds the hot/cold split (as in test_uffd_sampled).
 */
static void check_estimate(QmpConn *c)
{
	gint64 end = g_get_monotonic_time() + 10000 * 1000LL, cold, err = 0;
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

	switch_to(c, "'backend':'uffd'", "uffd", true, 1.0 / 64);
	switch_to(c, "'mode':'full'", "uffd", true, 1.0);
	g_clear_pointer(&info, json_node_unref);
	info = wait_settled(c, aging_scans(c) + 12, 15000);
	check_ages(info);
	switch_to(c, "'backend':'dirty-log'", "dirty-log", false, 1.0);
	g_clear_pointer(&info, json_node_unref);
	info = wait_settled(c, aging_scans(c) + 12, 15000);
	check_ages(info);
	switch_to(c, "'backend':'auto','sample':4", "uffd", true, 0.25);
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
	g_usleep(200 * 1000);
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
	for (i = 0; i < 500 && access(p->sock, F_OK) < 0; i++) {
		g_assert_false(qmp_proc_wait(p, 0));
		g_usleep(10000);
	}
	g_assert_cmpint(i, <, 500);
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
	gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC, stage;

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
	g_test_add_func("/qmp/aging/hotcold", test_hotcold);
	g_test_add_func("/qmp/aging/startup-errors", test_startup_errors);
	g_test_add_func("/qmp/aging/uffd-full", test_uffd_full);
	g_test_add_func("/qmp/aging/uffd-sampled", test_uffd_sampled);
	g_test_add_func("/qmp/aging/uffd-auto", test_uffd_auto);
	g_test_add_func("/qmp/aging/switch", test_switch);
	g_test_add_func("/qmp/aging/switch-finish", test_switch_finish);
	return g_test_run();
}
