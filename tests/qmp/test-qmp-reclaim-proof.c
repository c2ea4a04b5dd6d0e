/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reclaim acts on proven idleness only, against the real kvmage: the
 * configurations of issue 9's table.  A 256 MiB memfd guest, aging every
 * 200 ms, the workload size=200M hot=40M pattern=hotcold rw=mixed
 * passes=0 verify=on: it reads and writes the first 40 MiB of its data
 * area (memdev offset 8 MiB) all the time and the other 160 MiB only in
 * its fill.  Six seconds in, a reclaim:
 *
 *   default aging (uffd, sampled 1 in 64), min-age-ms=2500
 *   uffd mode=full, min-age-ms=2500
 *   dirty-log (allow-write-only: the guest writes its hot set), idem
 *   uffd sampled, target-bytes = the cold set plus the never-populated
 *   uffd sampled, rate-limited, the aging disabled mid-job
 *
 * Must hold: >= 99% of the hot set still present, the cold set swapped
 * within 5% (not for the stopped job, which must fail saying the aging
 * stopped watching), and after a pause the guest sweeps and verifies
 * every page (a corrupt page ends kvmage with status 1).  Before the
 * fix the default configuration kept 20-30 MiB of the hot set.  Needs
 * /dev/kvm and swap.
 */
#include <string.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "../swap-util.h"
#include "../timescale.h"
#include "libqmp.h"
#include "reclaim-util.h"

#define MiB  ((gint64)1024 * 1024)
#define HOT  (40 * MiB)
#define COLD (160 * MiB)
#define DATA (8 * MiB) /* memdev offset of the data area */

static const char *workload;

static QmpProc *vm_start(const char *aging)
{
	g_autofree char *obj =
		g_strdup_printf("memory-aging,id=age0,memdev=mem0,interval=200%s",
				aging);
	const char *args[] = {
		"-m",
		"256M",
		"-object",
		"memory-backend-memfd,id=mem0,size=256M,share=on",
		"-machine",
		"pc,memory-backend=mem0",
		"-object",
		obj,
		"-kernel",
		workload,
		"-append",
		"size=200M hot=40M pattern=hotcold rw=mixed passes=0 "
		"verify=on sweep_gap=1000",
		NULL,
	};

	return qmp_proc_start_out(g_getenv("KVMAGE_BINARY"), args);
}

/*
 * stop, 1.3 s, cont: the guest sweeps and verifies every page (it says
 * "workload: sweep 1" when done), bringing back what was reclaimed, and
 * goes on running; then quit, exit 0.  Pages kvmage paged out of the
 * cold set must be counted as refaults by then.
 */
static void sweep_and_quit(QmpProc *p, QmpConn *c, gint64 swapped)
{
	g_autoptr(JsonNode) info = NULL;
	gint64 refault;

	qmp_cmd_ok(c, "{'execute':'stop'}");
	timescale_sleep_ms(1300); /* more than sweep_gap=1000 */
	qmp_cmd_ok(c, "{'execute':'cont'}");
	g_assert_true(qmp_proc_out_wait(p, "workload: sweep 1", 30000));
	info = reclaim_info(c);
	refault = reclaim_get_int(json_node_get_object(info), "refault-bytes");
	g_test_message("sweep: %" G_GINT64_FORMAT
		       " bytes refaulted, %" G_GINT64_FORMAT " reclaimed",
		       refault, swapped);
	g_assert_cmpint(refault, >=, swapped * 95 / 100);
	qmp_vm_assert_running(c);
	qmp_vm_quit(p, c, 20000);
}

/*
 * Boot with @aging, wait 6 s, run the reclaim @job (JSON members after
 * the job id), check hot and cold as above.  @disable_ms: disable the
 * aging that long after the start (0: never); the job must then fail.
 */
static void run_case(const char *aging, const char *job, int disable_ms)
{
	QmpProc *p = vm_start(aging);
	QmpConn *c = qmp_conn_negotiated(p->sock);
	g_autofree char *cmd = NULL;
	g_autoptr(JsonNode) res = NULL;
	Residency hot, cold, all;
	JsonObject *r;

	/* the fill, then aging past min-age-ms: as in the issue */
	timescale_sleep_ms(6000);
	all = reclaim_residency(c, "mem0", 0, 256 * MiB);
	cmd = g_strdup_printf("{'execute':'memory-reclaim','arguments':"
			      "{'job-id':'r',%s}}",
			      job);
	/* target-bytes: the cold set and what was never populated */
	if (strstr(job, "TARGET")) {
		g_autofree char *t =
			g_strdup_printf("%" G_GINT64_FORMAT, COLD + all.absent);
		g_auto(GStrv) parts = g_strsplit(cmd, "TARGET", 2);

		g_free(cmd);
		cmd = g_strjoin(t, parts[0], parts[1], NULL);
	}
	qmp_cmd_ok(c, cmd);
	if (disable_ms) {
		/* mid-job: the rate limit (kvmage's clock) makes it last 10 s */
		g_usleep(disable_ms * 1000);
		qmp_cmd_ok(c, "{'execute':'memory-aging-set','arguments':"
			      "{'id':'age0','enable':false}}");
	}
	res = reclaim_wait_result(c, "r", 60);
	r = json_node_get_object(res);
	reclaim_check_sums(r);
	hot = reclaim_residency(c, "mem0", DATA, HOT);
	cold = reclaim_residency(c, "mem0", DATA + HOT, COLD);
	g_test_message("%s {%s}: hot %.1f MiB present, cold %.1f MiB swapped "
		       "(of %" G_GINT64_FORMAT "), job swapped %.1f MiB",
		       aging, job, hot.present / (double)MiB,
		       cold.swapped / (double)MiB, COLD / MiB,
		       reclaim_get_int(r, "swapped-bytes") / (double)MiB);
	g_assert_cmpint(hot.present, >=, HOT * 99 / 100);
	if (disable_ms) {
		g_assert_cmpstr(json_object_get_string_member(r, "status"), ==,
				"failed");
		g_assert_nonnull(
			strstr(json_object_get_string_member(r, "error"),
			       "stopped watching"));
		g_assert_cmpint(reclaim_shortfall(r, "aging-stopped"), >, 0);
	} else {
		g_assert_cmpstr(json_object_get_string_member(r, "status"), ==,
				"completed");
		g_assert_cmpint(cold.swapped, >=, COLD * 95 / 100);
		g_assert_cmpint(reclaim_get_int(r, "swapped-bytes"), <=,
				COLD * 105 / 100);
	}
	/* what kvmage paged out of the cold set (DAMON may have added some) */
	sweep_and_quit(p, c,
		       disable_ms ? 0 :
				    MIN(cold.swapped,
					reclaim_get_int(r, "swapped-bytes")));
}

static void test_sampled(void)
{
	run_case("", "'min-age-ms':2500", 0);
}

static void test_full(void)
{
	run_case(",backend=uffd,mode=full", "'min-age-ms':2500", 0);
}

static void test_dirty_log(void)
{
	run_case(",backend=dirty-log",
		 "'min-age-ms':2500,'allow-write-only':true", 0);
}

static void test_sampled_target(void)
{
	run_case("", "'target-bytes':TARGET", 0);
}

static void test_disabled(void)
{
	run_case("", "'min-age-ms':2500,'rate-limit':16777216", 2000);
}

int main(int argc, char **argv)
{
	int status;

	workload = qmp_vm_workload_or_skip(argc, argv, &status);
	if (!workload)
		return status;
	if (!swap_or_skip_program(argc, argv, 512 * MiB, &status))
		return status;
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp/reclaim-proof/sampled", test_sampled);
	g_test_add_func("/qmp/reclaim-proof/full", test_full);
	g_test_add_func("/qmp/reclaim-proof/dirty-log", test_dirty_log);
	g_test_add_func("/qmp/reclaim-proof/sampled-target",
			test_sampled_target);
	g_test_add_func("/qmp/reclaim-proof/disabled", test_disabled);
	return g_test_run();
}
