/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-reclaim against the real kvmage and the workload guest.
 *
 * Ground truth: pattern=hotcold rw=write size=64M hot=4M verify=on writes
 * the first 4 MiB of its data area (gpa 8 MiB = memdev offset 8 MiB) in
 * every pass and the other 60 MiB only in the fill.  With dirty-log aging
 * on private RAM the cold set is known exactly, so a reclaim by age must
 * leave the hot set resident and put the whole cold set in swap (read
 * back with query-memory-residency).  sweep_gap=1000 makes the guest
 * re-check and rewrite every page after a pause (stop, 1.2 s, cont): no
 * corrupted page may be found (the guest fails and kvmage exits 1
 * otherwise), and the cold set comes back as refaults.
 *
 * Also: a dry run changes nothing; a second job on the memdev is refused
 * naming the first; cancel of a rate-limited job stops within one batch;
 * target-bytes takes the coldest bytes asked for; argument errors; no
 * memory-aging object; no swap (KVMAGE_TEST_MEMINFO, test only) refuses
 * pageout up front; a nearly full swap gives a partial result with the
 * swap-full reason.  Needs /dev/kvm and swap (skips otherwise).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "../swap-util.h"
#include "libqmp.h"
#include "reclaim-util.h"

#define MiB	    (1024 * 1024LL)
#define RAM	    (96 * MiB)
#define DATA	    (8 * MiB) /* memdev offset of the data area */
#define HOT	    (4 * MiB)
#define COLD	    (60 * MiB)
#define IVAL	    50
#define MIN_AGE	    500 /* ms: 10 intervals */
/*
 * Cold pages the host's own reclaim (DAMON on the project's machines)
 * may page out before kvmage does: kvmage did not reclaim them, so their
 * return is not a refault of kvmage's.  Seen: up to 640 KiB.
 */
#define SLACK_DAMON (4 * MiB)

static const char *workload;

static QmpProc *vm_start_mem(const char *mem, const char *aging,
			     const char *append)
{
	const char *args[] = {
		"-machine", "pc,memory-backend=ram0",
		"-object",  mem,
		"-kernel",  workload,
		"-append",  append,
		"-object",  aging,
		NULL,
	};

	if (!aging)
		args[8] = NULL;
	return qmp_proc_start(g_getenv("KVMAGE_BINARY"), args);
}

static QmpProc *vm_start(const char *aging, const char *append)
{
	return vm_start_mem("memory-backend-ram,id=ram0,size=96M", aging,
			    append);
}

static QmpProc *vm_hotcold(void)
{
	return vm_start("memory-aging,id=age0,memdev=ram0,"
			"backend=dirty-log,interval=50",
			"size=64M hot=4M pattern=hotcold passes=0 rw=write "
			"sweep_gap=1000");
}

static void cmd_ok(QmpConn *c, const char *cmd)
{
	qmp_cmd_ok(c, cmd);
}

/* @cmd must fail with @cls and a description containing @want. */
static void cmd_fails(QmpConn *c, const char *cmd, const char *cls,
		      const char *want)
{
	g_autoptr(JsonNode) reply = qmp_cmd(c, cmd);
	JsonObject *o = json_node_get_object(reply), *e;

	if (!json_object_has_member(o, "error"))
		g_error("%s succeeded: %s", cmd, json_to_string(reply, FALSE));
	e = json_object_get_object_member(o, "error");
	g_test_message("%s -> %s", cmd,
		       json_object_get_string_member(e, "desc"));
	g_assert_cmpstr(json_object_get_string_member(e, "class"), ==, cls);
	g_assert_nonnull(
		strstr(json_object_get_string_member(e, "desc"), want));
}

/* Residency of [off, off + size) of ram0: [0] present, [1] swapped. */
static void residency(QmpConn *c, gint64 off, gint64 size, gint64 out[2])
{
	Residency r = reclaim_residency(c, "ram0", off, size);

	out[0] = r.present;
	out[1] = r.swapped;
}

/* Cold bytes (idle >= MIN_AGE) of the aging. */
static gint64 cold_bytes(QmpConn *c)
{
	g_autoptr(JsonNode) r =
		qmp_cmd_return(c, "{'execute':'query-memory-aging','arguments':"
				  "{'cold-threshold-ms':500}}");

	return reclaim_get_int(json_array_get_object_element(json_node_get_array(
								     r),
							     0),
			       "cold-bytes");
}

/*
 * Wait until everything but the hot set and a little slack (stack,
 * ucall page) is idle for MIN_AGE: the fill has aged.
 */
static void wait_cold(QmpConn *c)
{
	gint64 end = timescale_deadline(20000);

	while (cold_bytes(c) < RAM - HOT - MiB) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(50000);
	}
}

static void test_dry_run(QmpConn *c)
{
	g_autoptr(JsonNode) res = NULL;
	gint64 before[2], after[2];
	JsonObject *r;

	residency(c, 0, RAM, before);
	cmd_ok(c,
	       "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'dry',"
	       "'min-age-ms':500,'dry-run':true}}");
	res = reclaim_wait_result(c, "dry", 20);
	residency(c, 0, RAM, after);
	r = json_node_get_object(res);
	g_assert_cmpstr(json_object_get_string_member(r, "status"), ==,
			"completed");
	g_assert_true(json_object_get_boolean_member(r, "dry-run"));
	g_assert_cmpint(reclaim_get_int(r, "advised-bytes"), ==, 0);
	g_assert_cmpint(reclaim_get_int(r, "batches"), ==, 0);
	g_assert_cmpint(reclaim_get_int(r, "would-advise-bytes"), >=, COLD);
	reclaim_check_sums(r);
	/* nothing moved: the same pages in swap and in memory */
	g_assert_cmpint(after[1], ==, before[1]);
	g_assert_cmpint(after[0], ==, before[0]);
}

static void test_target(QmpConn *c)
{
	g_autoptr(JsonNode) res = NULL;
	gint64 hot[2];
	JsonObject *r;

	cmd_ok(c,
	       "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'tgt',"
	       "'target-bytes':16777216}}");
	res = reclaim_wait_result(c, "tgt", 20);
	r = json_node_get_object(res);
	g_assert_cmpstr(json_object_get_string_member(r, "status"), ==,
			"completed");
	g_assert_cmpint(reclaim_get_int(r, "requested-bytes"), ==, 16 * MiB);
	g_assert_cmpint(reclaim_get_int(r, "selected-bytes"), >=, 16 * MiB);
	g_assert_cmpint(reclaim_get_int(r, "selected-bytes"), <,
			16 * MiB + 4096);
	g_assert_cmpint(reclaim_get_int(r, "skipped-hot-bytes"), ==, 0);
	reclaim_check_sums(r);
	/* the hot set is never the coldest */
	residency(c, DATA, HOT, hot);
	g_assert_cmpint(hot[0], ==, HOT);
}

/*
 * A slow job (2 MiB/s, batches of 205 KiB) is running: a second one on the
 * same memdev is refused naming it; job-cancel then stops it within a
 * batch of the progress seen when cancelling.
 */
static void test_busy_cancel(QmpConn *c)
{
	g_autoptr(JsonNode) res = NULL;
	gint64 batch = 2 * MiB / 10 / 4096 * 4096, seen = 0, dealt;
	gint64 t0;
	JsonObject *r;

	cmd_ok(c,
	       "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'slow',"
	       "'min-age-ms':500,'rate-limit':2097152}}");
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'two',"
		  "'min-age-ms':500}}",
		  "GenericError", "reclaim job 'slow' is already running");
	/*
	 * Not scaled: 700 ms of the job's own rate limit (2 MiB/s); scaled,
	 * it could outlast the job and leave nothing to cancel.
	 */
	g_usleep(700 * 1000);
	{
		g_autoptr(JsonNode)
			jobs = qmp_cmd_return(c, "{'execute':'query-jobs'}");
		JsonObject *j =
			json_array_get_object_element(json_node_get_array(jobs),
						      0);

		g_assert_cmpstr(json_object_get_string_member(j, "id"), ==,
				"slow");
		g_assert_cmpstr(json_object_get_string_member(j, "type"), ==,
				"memory-reclaim");
		seen = reclaim_get_int(j, "current-progress");
		g_assert_cmpint(reclaim_get_int(j, "total-progress"), >=, COLD);
	}
	t0 = g_get_monotonic_time();
	cmd_ok(c, "{'execute':'job-cancel','arguments':{'id':'slow'}}");
	res = reclaim_wait_result(c, "slow", 10);
	r = json_node_get_object(res);
	g_assert_cmpint(g_get_monotonic_time() - t0, <,
			timescale_us(G_USEC_PER_SEC));
	g_assert_cmpstr(json_object_get_string_member(r, "status"), ==,
			"cancelled");
	dealt = reclaim_get_int(r, "selected-bytes") -
		reclaim_get_int(r, "not-reached-bytes");
	g_test_message("cancel: progress %" G_GINT64_FORMAT
		       " when cancelled, %" G_GINT64_FORMAT " dealt with",
		       seen, dealt);
	g_assert_cmpint(seen, >, 0);
	/* one batch may be in flight, one more may have begun meanwhile */
	g_assert_cmpint(dealt, <=, seen + 2 * batch);
	g_assert_cmpint(reclaim_get_int(r, "not-reached-bytes"), >, 0);
	g_assert_cmpint(reclaim_shortfall(r, "cancelled"), ==,
			reclaim_get_int(r, "not-reached-bytes"));
	reclaim_check_sums(r);
}

static void test_by_age(QmpConn *c)
{
	g_autoptr(JsonNode) res = NULL;
	gint64 hot[2], cold[2];
	JsonObject *r;

	wait_cold(c);
	cmd_ok(c,
	       "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'age',"
	       "'memdev':'ram0','min-age-ms':500}}");
	res = reclaim_wait_result(c, "age", 30);
	r = json_node_get_object(res);
	g_assert_cmpstr(json_object_get_string_member(r, "status"), ==,
			"completed");
	reclaim_check_sums(r);
	residency(c, DATA, HOT, hot);
	residency(c, DATA + HOT, COLD, cold);
	g_test_message("hot: %" G_GINT64_FORMAT " present %" G_GINT64_FORMAT
		       " swapped; cold: %" G_GINT64_FORMAT
		       " present %" G_GINT64_FORMAT " swapped",
		       hot[0], hot[1], cold[0], cold[1]);
	/* dirty-log on private RAM, writes: exact */
	g_assert_cmpint(hot[0], ==, HOT);
	g_assert_cmpint(hot[1], ==, 0);
	g_assert_cmpint(cold[1], ==, COLD);
	g_assert_cmpint(reclaim_get_int(r, "advised-bytes") +
				reclaim_get_int(r, "already-swapped-bytes"),
			>=, COLD);
	g_assert_cmpint(reclaim_get_int(r, "swapped-bytes"), >=,
			COLD - reclaim_get_int(r, "already-swapped-bytes"));
	g_assert_cmpint(reclaim_get_int(r, "skipped-raced-bytes"), <=,
			64 * 1024);
}

/*
 * stop, wait, cont: the guest sweeps (verifies) every page, so the cold
 * set comes back and its refaults are counted.  @shared: a memfd aged by
 * uffd, whose guest mapping the aging keeps unmapping: the platform's
 * DAMON pages such unmapped shared pages out again at once (seen in full
 * suite runs: 25-30 MiB of the 60 MiB within seconds), so there only
 * "every cold page is populated (present or in swap)" can be asserted,
 * not "present".  Private RAM must be all present again.
 */
static void test_sweep_refaults(QmpConn *c, bool shared)
{
	gint64 end, cold[2], refault = 0;
	g_autoptr(JsonNode) info = NULL;
	g_autofree char *txt = NULL;
	JsonObject *o;
	bool back;

	cmd_ok(c, "{'execute':'stop'}");
	timescale_sleep_ms(1300); /* more than sweep_gap=1000 */
	cmd_ok(c, "{'execute':'cont'}");
	/* the sweep takes a while (memfd with uffd: a fault round trip a page) */
	end = timescale_deadline(30000);
	for (;;) {
		g_clear_pointer(&info, json_node_unref);
		info = reclaim_info(c);
		o = json_node_get_object(info);
		refault = reclaim_get_int(o, "refault-bytes");
		residency(c, DATA + HOT, COLD, cold);
		back = shared ? cold[0] + cold[1] == COLD : cold[0] == COLD;
		if ((refault >= COLD - SLACK_DAMON && back) ||
		    g_get_monotonic_time() > end)
			break;
		g_usleep(50000);
	}
	txt = json_to_string(info, FALSE);
	g_test_message("refaults: %s", txt);
	g_test_message("cold set after the sweep: %" G_GINT64_FORMAT
		       " present, %" G_GINT64_FORMAT " swapped",
		       cold[0], cold[1]);
	/* the sweep checked every cold page: they all came back */
	if (shared)
		g_assert_cmpint(cold[0] + cold[1], ==, COLD);
	else
		g_assert_cmpint(cold[0], ==, COLD);
	g_assert_cmpint(refault, >=, COLD - SLACK_DAMON);
	g_assert_cmpint(reclaim_get_int(o, "refault-bytes-last-minute"), >=,
			COLD - SLACK_DAMON);
	g_assert_true(json_object_has_member(o, "promotion-rate"));
	g_assert_cmpfloat(json_object_get_double_member(o, "promotion-rate"), >,
			  0);
}

static void test_reclaim(void)
{
	QmpProc *p = vm_hotcold();
	QmpConn *c = qmp_conn_negotiated(p->sock);

	wait_cold(c);
	test_dry_run(c);
	test_target(c);
	test_busy_cancel(c);
	test_by_age(c);
	test_sweep_refaults(c, false);
	/* the guest is still running: no page was found corrupted */
	cmd_ok(c, "{'execute':'query-status'}");
	qmp_vm_quit(p, c, 10000);
}

static void test_errors(void)
{
	QmpProc *p = vm_hotcold();
	QmpConn *c = qmp_conn_negotiated(p->sock);
	const char *both = "{'execute':'memory-reclaim','arguments':"
			   "{'job-id':'e','min-age-ms':1,'target-bytes':4096}}";

	cmd_fails(c, both, "GenericError", "exactly one");
	/* dirty-log sees writes only: not proof of idleness by default */
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'job-id':'e',"
		  "'min-age-ms':500}}",
		  "GenericError", "sees writes only");
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'job-id':'e',"
		  "'target-bytes':1099511627776,'allow-write-only':true}}",
		  "GenericError", "exceeds the size of memdev 'ram0' (96 MiB)");
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'job-id':'e',"
		  "'min-age-ms':1,'rate-limit':-5,'allow-write-only':true}}",
		  "GenericError", "must not be negative (0 means no limit)");
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'e'}}",
		  "GenericError", "exactly one");
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'e',"
		  "'target-bytes':0}}",
		  "GenericError", "'target-bytes' must be positive");
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'e',"
		  "'memdev':'nope','min-age-ms':1}}",
		  "DeviceNotFound", "'nope'");
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'e',"
		  "'min-age-ms':1,'advice':'discard'}}",
		  "GenericError", "advice");
	qmp_vm_quit(p, c, 10000);

	/* no memory-aging object: nothing to choose from */
	p = vm_start(NULL, "size=8M passes=0");
	c = qmp_conn_negotiated(p->sock);
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'e',"
		  "'memdev':'ram0','min-age-ms':1}}",
		  "GenericError", "has no memory-aging object");
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'e',"
		  "'min-age-ms':1}}",
		  "GenericError", "no memdev has a memory-aging object");
	{
		g_autoptr(JsonNode) r =
			qmp_cmd_return(c, "{'execute':'query-memory-reclaim'}");

		g_assert_cmpuint(json_array_get_length(json_node_get_array(r)),
				 ==, 0);
	}
	qmp_vm_quit(p, c, 10000);
}

/*
 * A memfd memdev aged by uffd (mode=full): the aging zaps the guest
 * mapping's entries, so reclaim advises through an alias mapping.  The
 * hot set stays, the cold set goes to swap (residency of shared memory
 * is best-effort: within 5%), the sweep verifies every page.
 */
static void test_memfd_uffd(void)
{
	QmpProc *p = vm_start_mem("memory-backend-memfd,id=ram0,size=96M",
				  "memory-aging,id=age0,memdev=ram0,"
				  "backend=uffd,mode=full,interval=50",
				  "size=64M hot=4M pattern=hotcold passes=0 "
				  "rw=write sweep_gap=1000");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autoptr(JsonNode) res = NULL;
	gint64 hot[2], cold[2];
	JsonObject *r;

	wait_cold(c);
	cmd_ok(c, "{'execute':'memory-reclaim','arguments':{'job-id':'m',"
		  "'min-age-ms':500}}");
	res = reclaim_wait_result(c, "m", 30);
	r = json_node_get_object(res);
	reclaim_check_sums(r);
	residency(c, DATA, HOT, hot);
	residency(c, DATA + HOT, COLD, cold);
	/*
	 * >= 99%, not all: uffd full unmaps every page at every scan, and
	 * the platform's DAMON pages out unmapped shared pages at once (seen:
	 * 4 pages of the hot set, between a scan and the guest's next write).
	 */
	g_assert_cmpint(hot[0], >=, HOT * 99 / 100);
	g_assert_cmpint(cold[1], >=, COLD * 95 / 100);
	g_assert_cmpint(reclaim_get_int(r, "swapped-bytes"), >=, COLD * 9 / 10);
	test_sweep_refaults(c, true);
	cmd_ok(c, "{'execute':'query-status'}");
	qmp_vm_quit(p, c, 10000);
}

/* A fake /proc/meminfo for kvmage (KVMAGE_TEST_MEMINFO, test only). */
static char *fake_meminfo(const char *dir, gint64 total_kb, gint64 free_kb)
{
	char *path = g_build_filename(dir, "meminfo", NULL);
	g_autofree char *text =
		g_strdup_printf("MemTotal: 4000000 kB\nSwapCached: 0 kB\n"
				"SwapTotal: %" G_GINT64_FORMAT " kB\n"
				"SwapFree: %" G_GINT64_FORMAT " kB\n",
				total_kb, free_kb);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void test_no_swap(void)
{
	g_autofree char *dir = g_dir_make_tmp("reclaim-XXXXXX", NULL);
	g_autofree char *info = fake_meminfo(dir, 0, 0);
	g_autoptr(JsonNode) res = NULL;
	QmpProc *p;
	QmpConn *c;

	g_setenv("KVMAGE_TEST_MEMINFO", info, true);
	p = vm_hotcold();
	g_unsetenv("KVMAGE_TEST_MEMINFO");
	c = qmp_conn_negotiated(p->sock);
	cmd_fails(c,
		  "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'n',"
		  "'min-age-ms':0}}",
		  "GenericError", "needs swap and the host has none");
	/* a dry run and advice cold do not need swap */
	cmd_ok(c,
	       "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'d',"
	       "'min-age-ms':0,'dry-run':true}}");
	json_node_unref(reclaim_wait_result(c, "d", 20));
	wait_cold(c);
	cmd_ok(c,
	       "{'execute':'memory-reclaim','arguments':{'allow-write-only':true,'job-id':'k',"
	       "'target-bytes':1048576,'advice':'cold'}}");
	res = reclaim_wait_result(c, "k", 20);
	g_assert_cmpint(reclaim_shortfall(json_node_get_object(res),
					  "cold-advice"),
			>, 0);
	qmp_vm_quit(p, c, 10000);
	unlink(info);
	rmdir(dir);
}

/*
 * Swap nearly full (a fake /proc/meminfo of 8 GiB of swap, so a reserve
 * of 64 MiB is left to the host): with 1 MiB free, a one-page job
 * advises nothing and says swap-full; with 8 MiB free above the reserve,
 * a partial result that says swap is full.
 */
static void test_swap_full(void)
{
	g_autofree char *dir = g_dir_make_tmp("reclaim-XXXXXX", NULL);
	g_autofree char *info = fake_meminfo(dir, 8 << 20, 1 << 10);
	g_autoptr(JsonNode) res = NULL;
	JsonObject *r;
	QmpProc *p;
	QmpConn *c;

	g_setenv("KVMAGE_TEST_MEMINFO", info, true);
	p = vm_hotcold();
	g_unsetenv("KVMAGE_TEST_MEMINFO");
	c = qmp_conn_negotiated(p->sock);
	wait_cold(c);
	cmd_ok(c,
	       "{'execute':'memory-reclaim','arguments':{"
	       "'allow-write-only':true,'job-id':'one','target-bytes':4096}}");
	res = reclaim_wait_result(c, "one", 20);
	r = json_node_get_object(res);
	g_assert_cmpint(reclaim_get_int(r, "advised-bytes"), ==, 0);
	g_assert_cmpint(reclaim_shortfall(r, "swap-full"), ==, 4096);
	g_assert_cmpint(reclaim_shortfall(r, "not-swapped"), ==, 0);
	reclaim_check_sums(r);
	g_clear_pointer(&res, json_node_unref);

	g_free(fake_meminfo(dir, 8 << 20, (64 + 8) << 10));
	cmd_ok(c, "{'execute':'memory-reclaim','arguments':{"
		  "'allow-write-only':true,'job-id':'f','min-age-ms':500}}");
	res = reclaim_wait_result(c, "f", 20);
	r = json_node_get_object(res);
	g_assert_cmpstr(json_object_get_string_member(r, "status"), ==,
			"completed");
	g_assert_cmpint(reclaim_get_int(r, "advised-bytes"), <=, 8 * MiB);
	g_assert_cmpint(reclaim_get_int(r, "advised-bytes"), >, 0);
	/* at most 8 MiB of the cold pages were advised: the rest waits */
	g_assert_cmpint(reclaim_get_int(r, "not-reached-bytes"), >=,
			reclaim_get_int(r, "selected-bytes") -
				reclaim_get_int(r, "absent-bytes") - 8 * MiB);
	g_assert_cmpint(reclaim_shortfall(r, "swap-full"), ==,
			reclaim_get_int(r, "not-reached-bytes"));
	reclaim_check_sums(r);
	qmp_vm_quit(p, c, 10000);
	unlink(info);
	rmdir(dir);
}

/*
 * Soak: reclaim/touch cycles on a small guest for SOAK_S seconds, every
 * kind of job in turn (by age, coldest bytes, advice cold, a cancelled
 * slow job), each followed by a pause that makes the guest check and
 * rewrite every page.  Zero corruption: the guest would fail and kvmage
 * exit 1.  Run as its own test (suite soak) with -p /qmp/reclaim/soak.
 * Its length and pauses are scaled alike, so it does as many cycles on a
 * slow host.
 */
#define SOAK_S 30

static void test_soak(void)
{
	QmpProc *p = vm_start("memory-aging,id=age0,memdev=ram0,"
			      "backend=dirty-log,interval=20",
			      "size=32M hot=2M pattern=hotcold passes=0 "
			      "rw=write sweep_gap=250");
	QmpConn *c = qmp_conn_negotiated(p->sock);
	gint64 end = timescale_deadline(SOAK_S * 1000);
	gint64 swapped = 0, refaults = 0;
	int cycle;

	for (cycle = 0; g_get_monotonic_time() < end; cycle++) {
		static const char *const kinds[] = {
			"'min-age-ms':100",
			"'target-bytes':8388608",
			"'min-age-ms':100,'advice':'cold'",
			"'min-age-ms':100,'rate-limit':4194304",
		};
		g_autofree char *id = g_strdup_printf("s%d", cycle);
		g_autofree char *cmd =
			g_strdup_printf("{'execute':'memory-reclaim','arguments':"
					"{'allow-write-only':true,'job-id':'%s',%s}}",
					id, kinds[cycle % 4]);
		g_autoptr(JsonNode) res = NULL, info = NULL;
		gint64 hot[2];

		timescale_sleep_ms(300); /* the sweep ages past 100 ms */
		cmd_ok(c, cmd);
		if (cycle % 4 == 3) {
			g_autofree char *cancel =
				g_strdup_printf("{'execute':'job-cancel','arguments':"
						"{'id':'%s'}}",
						id);

			/*
			 * Not scaled: 300 ms of a 4 MiB/s job; scaled it
			 * could end first and the cancel would fail.
			 */
			g_usleep(300 * 1000);
			cmd_ok(c, cancel);
		}
		res = reclaim_wait_result(c, id, 30);
		reclaim_check_sums(json_node_get_object(res));
		swapped += reclaim_get_int(json_node_get_object(res),
					   "swapped-bytes");
		residency(c, DATA, 2 * MiB, hot);
		g_assert_cmpint(hot[0], ==, 2 * MiB);
		/* a pause: the guest checks and rewrites every page */
		cmd_ok(c, "{'execute':'stop'}");
		timescale_sleep_ms(300); /* more than sweep_gap=250 */
		cmd_ok(c, "{'execute':'cont'}");
		info = reclaim_info(c);
		refaults = reclaim_get_int(json_node_get_object(info),
					   "refault-bytes");
	}
	g_test_message("soak: %d cycles, %" G_GINT64_FORMAT
		       " bytes swapped, %" G_GINT64_FORMAT " refaulted",
		       cycle, swapped, refaults);
	g_assert_cmpint(cycle, >=, 8);
	g_assert_cmpint(swapped, >, 0);
	g_assert_cmpint(refaults, >, 0);
	qmp_vm_quit(p, c, 10000);
}

int main(int argc, char **argv)
{
	int status;

	workload = qmp_vm_workload_or_skip(argc, argv, &status);
	if (!workload)
		return status;
	if (!swap_or_skip_program(argc, argv, 256 * MiB, &status))
		return status;
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp/reclaim/errors", test_errors);
	g_test_add_func("/qmp/reclaim/no-swap", test_no_swap);
	g_test_add_func("/qmp/reclaim/swap-full", test_swap_full);
	g_test_add_func("/qmp/reclaim/reclaim", test_reclaim);
	g_test_add_func("/qmp/reclaim/memfd-uffd", test_memfd_uffd);
	g_test_add_func("/qmp/reclaim/soak", test_soak);
	return g_test_run();
}
