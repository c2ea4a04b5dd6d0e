/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A reclaimed guest migrates without undoing the reclaim: a memfd guest
 * aged by uffd, most of it put in swap by memory-reclaim, migrated over
 * unix: to a second kvmage with the same memory-aging object.  Asserted
 * from /proc and QMP: the source's resident growth stays within the
 * cold lane's bound, the destination ends about as resident as the
 * source was, its aging starts from the source's ages, and its guest
 * verifies every page.  Needs /dev/kvm and swap (skips, 77 by hand,
 * otherwise: "sudo make check-setup").
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "../qmp/libqmp.h"
#include "../qmp/reclaim-util.h"
#include "../swap-util.h"

#define MiB	   (1024 * 1024LL)
#define RAM	   (96 * MiB)
#define HOT	   (4 * MiB)
#define COLD	   (60 * MiB)
/* MIG_RAM_COLD_BATCH (include/migration/ram.h): 64 pages */
#define COLD_BATCH (64 * 4096LL)

static const char *workload;

static QmpProc *vm_start(const char *incoming)
{
	const char *args[] = {
		"-machine",
		"pc,memory-backend=ram0",
		"-object",
		"memory-backend-memfd,id=ram0,size=96M",
		"-object",
		"memory-aging,id=age0,memdev=ram0,backend=uffd,mode=full,"
		"interval=50",
		"-kernel",
		workload,
		"-append",
		"size=64M hot=4M pattern=hotcold passes=0 rw=write "
		"sweep_gap=1000",
		incoming ? "-incoming" : NULL,
		incoming,
		NULL,
	};

	return qmp_proc_start_out(g_getenv("KVMAGE_BINARY"), args);
}

/* VmRSS (RssAnon + RssFile + RssShmem) of @pid in bytes; *@shmem too. */
static gint64 proc_rss(GPid pid, gint64 *shmem)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *txt = NULL;
	const char *p;
	gint64 rss;

	g_assert_true(g_file_get_contents(path, &txt, NULL, NULL));
	p = strstr(txt, "\nVmRSS:");
	g_assert_nonnull(p);
	rss = g_ascii_strtoll(p + 7, NULL, 10) * 1024;
	p = strstr(txt, "\nRssShmem:");
	g_assert_nonnull(p);
	if (shmem)
		*shmem = g_ascii_strtoll(p + 10, NULL, 10) * 1024;
	return rss;
}

/*
 * The peak VmRSS of @pid over @ms: uffd mode=full unmaps the hot set at
 * every scan and the guest maps it again, so a single sample can be off
 * by up to the hot set; peaks compare like with like.
 */
static gint64 rss_peak(GPid pid, int ms)
{
	gint64 end = timescale_deadline(ms), peak = 0;

	while (g_get_monotonic_time() < end) {
		peak = MAX(peak, proc_rss(pid, NULL));
		g_usleep(2000);
	}
	return peak;
}

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

/* Everything but the hot set and a little slack has aged. */
static void wait_cold(QmpConn *c)
{
	gint64 end = timescale_deadline(20000);

	while (cold_bytes(c) < RAM - HOT - MiB) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(50000);
	}
}

/* Reclaim the cold set; returns the residency of all of ram0 after. */
static Residency reclaim_cold(QmpConn *c)
{
	g_autoptr(JsonNode) res = NULL;
	Residency r;

	qmp_cmd_ok(c, "{'execute':'memory-reclaim','arguments':"
		      "{'job-id':'m','min-age-ms':500}}");
	res = reclaim_wait_result(c, "m", 30);
	reclaim_check_sums(json_node_get_object(res));
	r = reclaim_residency(c, "ram0", 0, RAM);
	g_test_message("before migrating: %" G_GINT64_FORMAT
		       " present, %" G_GINT64_FORMAT
		       " swapped, %" G_GINT64_FORMAT " absent",
		       r.present, r.swapped, r.absent);
	/* most of it in swap (DAMON may have taken more) */
	g_assert_cmpint(r.swapped, >=, COLD * 9 / 10);
	return r;
}

typedef struct Sampled {
	gint64 rss_peak;     /* of the source while migrating */
	gint64 cold_last;    /* its last cold bytes before completed */
	JsonNode *completed; /* query-migrate's reply */
} Sampled;

/* Sample the source's /proc and its aging until it completes. */
static Sampled migrate_sampled(QmpProc *s, QmpConn *sc, const char *uri)
{
	g_autofree char *cmd =
		g_strdup_printf("{'execute':'migrate','arguments':{'uri':'%s'}}",
				uri);
	gint64 end = timescale_deadline(60000);
	Sampled r = { 0 };

	r.cold_last = cold_bytes(sc);
	qmp_cmd_ok(sc, cmd);
	for (unsigned i = 0;; i++) {
		r.rss_peak = MAX(r.rss_peak, proc_rss(s->pid, NULL));
		if (i % 8 == 0) {
			JsonNode *q =
				qmp_cmd_return(sc,
					       "{'execute':'query-migrate'}");
			const char *st =
				json_object_get_string_member(json_node_get_object(
								      q),
							      "status");

			if (!strcmp(st, "completed")) {
				r.completed = q;
				break;
			}
			g_assert_cmpstr(st, !=, "failed");
			json_node_unref(q);
			/* the guest stops for the last pass only */
			r.cold_last = cold_bytes(sc);
		}
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(1000);
	}
	return r;
}

static gint64 lane_int(JsonNode *q, const char *key)
{
	JsonObject *o = json_node_get_object(q);

	return reclaim_get_int(json_object_get_object_member(o,
							     "__org.kvmage_cold-lane"),
			       key);
}

/*
 * The destination's guest sweeps every page after a pause longer than
 * sweep_gap (verify=on: a page that fails ends kvmage with an error).
 */
static void dest_sweeps(QmpProc *d, QmpConn *dc)
{
	qmp_cmd_ok(dc, "{'execute':'stop'}");
	timescale_sleep_ms(1300); /* more than sweep_gap=1000 */
	qmp_cmd_ok(dc, "{'execute':'cont'}");
	/* memfd with uffd: a fault round trip a page */
	g_assert_true(qmp_proc_out_wait(d, "workload: sweep 1", 60000));
	qmp_vm_assert_running(dc);
}

/* For the log: the completed reply and both sides' residency. */
static void log_migration(QmpProc *s, QmpProc *d, QmpConn *dc, const Sampled *m)
{
	g_autofree char *txt = json_to_string(m->completed, FALSE);
	Residency dr = reclaim_residency(dc, "ram0", 0, RAM);
	gint64 sshm, dshm;

	proc_rss(s->pid, &sshm);
	proc_rss(d->pid, &dshm);
	g_test_message("query-migrate: %s", txt);
	g_test_message("destination: %" G_GINT64_FORMAT
		       " present, %" G_GINT64_FORMAT
		       " swapped, %" G_GINT64_FORMAT
		       " absent; RssShmem: source %" G_GINT64_FORMAT
		       ", destination %" G_GINT64_FORMAT,
		       dr.present, dr.swapped, dr.absent, sshm, dshm);
}

/* Is kvmage built with ASan (this test is built with the same flags)? */
static bool sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#endif
#endif
	return false;
}

static void test_reclaimed(void)
{
	QmpProc *s = vm_start(NULL), *d;
	QmpConn *sc = qmp_conn_negotiated(s->sock), *dc;
	g_autofree char *path = NULL, *uri = NULL;
	gint64 src_rss, dst_rss, growth, bound, cold_d, peak_engine;
	Residency res;
	Sampled m;

	wait_cold(sc);
	res = reclaim_cold(sc);
	d = vm_start("unix:@DIR@/mig");
	path = g_build_filename(d->dir, "mig", NULL);
	qmp_wait_path(path, d);
	uri = g_strdup_printf("unix:%s", path);
	dc = qmp_conn_negotiated(d->sock);
	src_rss = rss_peak(s->pid, 1000);
	m = migrate_sampled(s, sc, uri);
	cold_d = cold_bytes(dc);
	dst_rss = rss_peak(d->pid, 1000);
	log_migration(s, d, dc, &m);
	growth = m.rss_peak - src_rss;
	peak_engine = lane_int(m.completed, "peak-extra-rss");
	bound = MAX(res.swapped / 20, COLD_BATCH);
	g_test_message("source VmRSS peak %" G_GINT64_FORMAT
		       " before, %" G_GINT64_FORMAT
		       " while migrating (growth %" G_GINT64_FORMAT
		       ", engine's %" G_GINT64_FORMAT
		       ", bound %" G_GINT64_FORMAT
		       "); destination %" G_GINT64_FORMAT " after",
		       src_rss, m.rss_peak, growth, peak_engine, bound,
		       dst_rss);
	g_test_message("cold lane: %" G_GINT64_FORMAT
		       " bytes, %" G_GINT64_FORMAT
		       " holes; cold bytes %" G_GINT64_FORMAT
		       " at the source, %" G_GINT64_FORMAT
		       " at the destination",
		       lane_int(m.completed, "cold-bytes"),
		       lane_int(m.completed, "hole-pages"), m.cold_last,
		       cold_d);
	/* the cold set went through the cold lane: all of it, no more */
	g_assert_cmpint(lane_int(m.completed, "cold-bytes"), >=,
			res.swapped * 95 / 100);
	g_assert_cmpint(lane_int(m.completed, "cold-bytes"), <=,
			res.swapped + HOT);
	g_assert_cmpint(lane_int(m.completed, "hole-pages") * 4096, >=,
			res.absent - HOT);
	if (sanitized()) {
		/*
		 * ASan's quarantine keeps freed heap resident, so VmRSS
		 * measures the allocator, not guest memory: the cold-lane
		 * figures above and the ages below still hold it to account.
		 */
		g_test_message("sanitizer build: VmRSS bounds not checked");
		goto ages;
	}
	/*
	 * The source: at most 5% of the swapped set or one cold batch,
	 * whichever is larger (here 5%: 3 MiB of about 62 MiB), more than
	 * its peak before, sampled every 2 ms from /proc.
	 */
	g_assert_cmpint(growth, <=, bound);
	/*
	 * The engine's figure is one sample against another: its start
	 * may fall between a scan that unmapped the hot set and the
	 * guest's next touch of it, so it may include the hot set.
	 */
	g_assert_cmpint(peak_engine, <=, bound + HOT);
	/*
	 * The destination: the source's resident set + 5% + 2 MiB for
	 * what only a destination allocates (the incoming thread and its
	 * stream buffer, the ages it loaded); cold pages stay in swap.
	 */
	g_assert_cmpint(dst_rss, <=, src_rss + src_rss / 20 + 2 * MiB);
ages:
	/* the ages came along */
	g_assert_cmpint(ABS(cold_d - m.cold_last), <=, m.cold_last / 20);
	qmp_vm_assert_running(dc);
	dest_sweeps(d, dc);
	json_node_unref(m.completed);
	qmp_vm_quit(d, dc, 10000);
	qmp_vm_quit(s, sc, 10000);
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
	g_test_add_func("/migration/reclaimed", test_reclaimed);
	return g_test_run();
}
