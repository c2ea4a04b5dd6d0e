/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Aging fed by userfaultfd MINOR-fault tracking, in process, against the
 * workload guest's ground truth, on a memory-backend-memfd: pattern=hotcold
 * touches the first `hot` bytes of the data area every pass and the rest
 * only in the fill (before SYNC 1).  Scans are driven by passes: at least
 * one whole pass lies between two scans.
 *
 * full (sample 1): per-page precision and recall of "hot" (age <
 * COLD_AGE) >= 99% for writes and for reads (uffd sees both).  sampled
 * (sample 4): a hot page is re-armed every 4 scans, so its age stays
 * below 4 while the cold set's grows: with a threshold of 4 scans the same
 * >= 99% must hold.  A private RAM bank is refused.
 *
 * sampled estimate (default sample 64, 192 MiB memfd, 128 MiB data, 32
 * MiB hot): with a threshold of K = 5 scans, after K + 2 scans the cold
 * bytes are an estimate from the 1/64 of the pages armed K scans ago;
 * they must be within 5% of the ground truth (the memdev minus the hot
 * set) and the truth within the stated error (+ SLACK for the pages the
 * guest keeps touching besides the hot set: code, stack, ucall page).
 * Phase change: pattern=phases with phase=0, the test moves the hot set
 * through the workload's control word; the old set must still count as
 * hot for K scans after the move (it was touched after the arming of the
 * answering cohort) and as cold from scan K + 1 on, the new set at once.
 */
#include <math.h>
#include <string.h>
#include <glib.h>

#include "accel/kvm.h"
#include "aging/feed.h"
#include "aging/aging.h"
#include "hw/machine.h"
#include "hw/testdev.h"
#include "../proven-ages.h"
#include "aging-rig.h"
#include "harness.h"

#define PG	4096ULL
#define MiB	(1ULL << 20)
#define IVAL_MS 100
#define HOTCOLD "size=64M hot=4M pattern=hotcold passes=0 rw="
#define EST_K	5	  /* sampled estimate: threshold in scans */
#define SLACK	(1 * MiB) /* guest pages touched besides the hot set */

static RigWorkload wl;

static void on_sync(void *opaque, const struct ucall *uc)
{
	rig_workload_sync(&wl, uc);
}

typedef RigUffd Rig;

/* @mem: RAM size, also of the memfd backing it */
static void rig_start(Rig *r, const char *elf, const char *append,
		      const char *mem, unsigned sample)
{
	g_autofree char *object =
		g_strdup_printf("memory-backend-memfd,id=mem0,size=%s", mem);
	char *argv[] = { "kvmage",
			 "-m",
			 (char *)mem,
			 "-smp",
			 "1",
			 "-kernel",
			 (char *)elf,
			 "-append",
			 (char *)append,
			 "-serial",
			 "none",
			 "-object",
			 (char *)object,
			 "-machine",
			 "memory-backend=mem0",
			 NULL };
	g_autoptr(GError) err = NULL;
	memset(r, 0, sizeof(*r));
	r->m = rig_machine_new(argv, on_sync, r, &r->cfg, &err);
	g_assert_no_error(err);
	rig_uffd_start(r, sample, IVAL_MS, &wl);
}

/* @n scans, each after at least one whole pass; prints the costs. */
static void rig_scans(Rig *r, int n)
{
	g_autoptr(GError) err = NULL;
	UffdTrackStats st, prev;
	AgingStats as;

	aging_feed_uffd_stats(&r->feed, &prev);
	for (int i = 0; i < n; i++) {
		int now = g_atomic_int_get(&wl.syncs);

		g_assert_true(harness_wait_counter(&wl.syncs, now + 2, 60000));
		g_assert_true(aging_feed_scan(&r->feed, 1, &err));
		g_assert_no_error(err);
		aging_query(r->a, 0, &as);
		aging_feed_uffd_stats(&r->feed, &st);
		g_test_message("scan %d: %" G_GUINT64_FORMAT
			       " faults (%.1f us handler each), zap %.3f us/page"
			       " (%" G_GUINT64_FORMAT " pages, %s), user %.2f "
			       "ns/page, %" G_GUINT64_FORMAT " written",
			       i, st.faults - prev.faults,
			       (double)(st.handler_ns - prev.handler_ns) / 1e3 /
				       MAX(st.faults - prev.faults, 1),
			       (double)as.last_cost.kernel_ns / 1e3 /
				       MAX(st.zapped - prev.zapped, 1),
			       st.zapped - prev.zapped,
			       st.process_madvise ? "process_madvise" :
						    "madvise",
			       (double)as.last_cost.user_ns /
				       as.last_cost.pages,
			       as.last_cost.written);
		g_assert_cmpuint(st.errors, ==, 0);
		prev = st;
	}
}

/* Per-page precision and recall of "hot" = age < @cold_age. */
static void rig_score(Rig *r, int cold_age, double *precision, double *recall)
{
	g_autoptr(AgingAges) ex = NULL;
	uint64_t tp = 0, fp = 0, fn = 0, tn = 0;

	g_assert_cmpuint(wl.data_size, ==, 64ULL << 20);
	g_assert_cmpuint(wl.hot_size, ==, 4ULL << 20);
	ex = ages_export_at(r->a, &r->m->ram, wl.data_gpa);
	for (uint64_t off = 0; off < wl.data_size; off += PG) {
		int age = ages_at(r->a, ex, wl.data_gpa + off);
		bool hot = off < wl.hot_size, said_hot;

		said_hot = age < cold_age;
		tp += hot && said_hot;
		fp += !hot && said_hot;
		fn += hot && !said_hot;
		tn += !hot && !said_hot;
	}
	g_test_message("hot: tp %" G_GUINT64_FORMAT " fp %" G_GUINT64_FORMAT
		       " fn %" G_GUINT64_FORMAT " tn %" G_GUINT64_FORMAT,
		       tp, fp, fn, tn);
	*precision = (double)tp / MAX(tp + fp, 1);
	*recall = (double)tp / MAX(tp + fn, 1);
}

typedef struct Case {
	const char *rw;
	unsigned sample;
	int scans, cold_age;
} Case;

static void test_case(gconstpointer data)
{
	const Case *c = data;
	g_autofree char *append = g_strconcat(HOTCOLD, c->rw, NULL);
	double precision, recall;
	const char *elf;
	AgingStats as;
	Rig r;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	rig_start(&r, elf, append, "96M", c->sample);
	g_assert_true(harness_wait_counter(&wl.filled, 1, 60000));
	rig_scans(&r, c->scans);
	rig_score(&r, c->cold_age, &precision, &recall);
	g_test_message("%s, sample %u: precision %.4f recall %.4f", c->rw,
		       c->sample, precision, recall);
	g_assert_cmpfloat(precision, >=, 0.99);
	g_assert_cmpfloat(recall, >=, 0.99);
	aging_query(r.a, c->cold_age * IVAL_MS, &as);
	g_assert_cmpuint(as.scans, ==, c->scans);
	g_assert_true(as.coverage.reads);
	g_assert_true(as.coverage.writes);
	g_assert_cmpfloat(as.coverage.sampled, ==, 1.0 / c->sample);
	/* The cold data area is in the cold bytes. */
	g_assert_cmpuint(as.cold_bytes, >=, 60ULL << 20);
	rig_uffd_stop(&r);
}

/* Write @val to the guest's uint64_t at @gpa (the workload's control). */
static void rig_poke(Rig *r, uint64_t gpa, uint64_t val)
{
	for (RamBank *b = r->m->ram.head; b; b = b->next) {
		if (b->type == RAM_BANK_RAM && gpa >= b->gpa &&
		    gpa - b->gpa < b->size) {
			__atomic_store_n((uint64_t *)((char *)b->host + gpa -
						      b->gpa),
					 val, __ATOMIC_SEQ_CST);
			return;
		}
	}
	g_assert_not_reached();
}

/*
 * The sampled estimate of the bytes idle for EST_K scans against the
 * ground truth @truth: within 5% of it, and the truth inside the stated
 * error (SLACK more below: the few other pages the guest keeps touching
 * count as hot, which the truth ignores).
 */
static void check_estimate(Rig *r, uint64_t truth, const char *what)
{
	AgingStats as;
	double dev;

	aging_query(r->a, EST_K * IVAL_MS, &as);
	dev = (double)as.cold_bytes - (double)truth;
	g_test_message("%s: scans %" G_GUINT64_FORMAT
		       ", cold estimate %.2f MiB +- %.2f MiB (95%%), truth "
		       "%.2f MiB, off by %+.2f MiB (%+.2f%%)",
		       what, as.scans, (double)as.cold_bytes / MiB,
		       (double)as.cold_error / MiB, (double)truth / MiB,
		       dev / MiB, 100 * dev / truth);
	g_assert_true(as.cold_estimated);
	g_assert_cmpuint(as.cold_scans, ==, EST_K);
	g_assert_cmpuint(as.cold_error, >, 0);
	g_assert_cmpfloat(fabs(dev), <=, 0.05 * truth);
	g_assert_cmpfloat(dev, <=, (double)as.cold_error);
	g_assert_cmpfloat(-dev, <=, (double)as.cold_error + SLACK);
}

/* Default sample (64): cold bytes estimated after EST_K + 2 scans. */
static void test_estimate(void)
{
	const char *append = "size=128M hot=32M pattern=hotcold passes=0 "
			     "rw=read";
	const char *elf;
	AgingStats as;
	Rig r;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	rig_start(&r, elf, append, "192M", 64);
	g_assert_true(harness_wait_counter(&wl.filled, 1, 60000));
	g_assert_cmpuint(wl.hot_size, ==, 32 * MiB);
	rig_scans(&r, EST_K - 1);
	/* no cohort armed EST_K scans ago yet: from ages, not estimated */
	aging_query(r.a, EST_K * IVAL_MS, &as);
	g_assert_false(as.cold_estimated);
	rig_scans(&r, 3);
	check_estimate(&r, as.total_bytes - wl.hot_size, "hotcold");
	rig_uffd_stop(&r);
}

/*
 * The hot set moves (phase=0: by the host) after EST_K + 2 scans: for
 * scans 1..EST_K after the move both sets count as hot, from EST_K + 1
 * only the new one.
 */
static void test_phase_change(void)
{
	const char *append = "size=128M hot=32M pattern=phases phase=0 "
			     "passes=0 rw=mixed";
	g_autofree char *what = NULL;
	const char *elf;
	AgingStats as;
	Rig r;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	rig_start(&r, elf, append, "192M", 64);
	g_assert_true(harness_wait_counter(&wl.filled, 1, 60000));
	g_assert_cmpuint(wl.control_gpa, !=, 0);
	rig_scans(&r, EST_K + 2);
	aging_query(r.a, 0, &as);
	check_estimate(&r, as.total_bytes - wl.hot_size, "before the move");
	/*
	 * A whole pass over the old set after the last scan's arming, then
	 * region 1; the next scan waits for a whole pass there.  So the old
	 * set's last touches lie between that scan and the next.
	 */
	g_assert_true(harness_wait_counter(&wl.syncs,
					   g_atomic_int_get(&wl.syncs) + 2,
					   60000));
	rig_poke(&r, wl.control_gpa, 1);
	for (int j = 1; j <= EST_K + 2; j++) {
		bool old_hot = j <= EST_K;

		rig_scans(&r, 1);
		g_free(what);
		what = g_strdup_printf("scan %d after the move (%s)", j,
				       old_hot ? "old set still hot" :
						 "old set cold");
		check_estimate(&r,
			       as.total_bytes - (old_hot ? 2 : 1) * wl.hot_size,
			       what);
	}
	rig_uffd_stop(&r);
}

/* Private anonymous guest RAM cannot be tracked: a clear error. */
static void test_private(void)
{
	g_autoptr(GError) err = NULL;
	AgingCoverage cov = aging_feed_uffd.coverage(1);
	AgingFeedEnv env;
	AgingFeed feed;
	const char *elf;
	VmConfig *cfg;
	Machine *m;
	Aging *a;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	char *argv[] = { "kvmage",    "-m",	 "16M",	 "-kernel",
			 (char *)elf, "-serial", "none", NULL };
	m = rig_machine_new(argv, NULL, NULL, &cfg, &err);
	g_assert_no_error(err);
	a = aging_new("ram", &m->ram, NULL, IVAL_MS, &cov, &err);
	g_assert_no_error(err);
	env = rig_feed_env(m);
	g_assert_false(aging_feed_new(&feed, &aging_feed_uffd, &env, a, NULL, 1,
				      false, &err));
	g_assert_nonnull(strstr(err->message, "needs shared memory"));
	aging_free(a);
	rig_machine_free(m, cfg);
}

static const Case cases[] = {
	{ "write", 1, 6, 2 },
	{ "read", 1, 6, 2 },
	{ "read", 4, 12, 4 },
};

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_data_func("/kvm/aging-uffd/full-write", &cases[0],
			     test_case);
	g_test_add_data_func("/kvm/aging-uffd/full-read", &cases[1], test_case);
	g_test_add_data_func("/kvm/aging-uffd/sampled-read", &cases[2],
			     test_case);
	g_test_add_func("/kvm/aging-uffd/sampled-estimate", test_estimate);
	g_test_add_func("/kvm/aging-uffd/sampled-phase-change",
			test_phase_change);
	g_test_add_func("/kvm/aging-uffd/private", test_private);
	return g_test_run();
}
