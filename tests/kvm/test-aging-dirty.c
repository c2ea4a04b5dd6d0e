/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Aging fed by the KVM dirty log, in process, against the workload
 * guest's ground truth: pattern=hotcold touches the first `hot` bytes of
 * the data area every pass (SYNC 2 + pass) and the rest only in the fill
 * (before SYNC 1, whose args give the data gpa, size and hot bytes).
 * Scans are driven by passes: at least one whole pass lies between two
 * scans, so after the first scan a hot page is written in every interval.
 *
 * rw=write: per-page precision and recall of "hot" (age < COLD_AGE) must
 * be >= 99%, and a second dirty-log client (standing in for migration)
 * must still see every hot page aging consumed.  rw=read: the dirty log
 * cannot see reads, so the hot set must age like the cold set and the
 * coverage must say reads are invisible.  pattern=phases: scans inside
 * the SYNC hook follow the moving hot set within two intervals.
 */
#include <string.h>
#include <glib.h>

#include "accel/kvm.h"
#include "aging/aging.h"
#include "aging/feed.h"
#include "memory/dirty-log.h"
#include "hw/machine.h"
#include "hw/testdev.h"
#include "../proven-ages.h"
#include "aging-rig.h"
#include "harness.h"

#define PG	 4096ULL
#define SCANS	 6
#define COLD_AGE 2 /* scans: cold means not written in the last two */
#define IVAL_MS	 100
#define HOTCOLD	 "size=64M hot=4M pattern=hotcold passes=0 rw="

static RigWorkload wl;

static void on_sync(void *opaque, const struct ucall *uc)
{
	rig_workload_sync(&wl, uc);
}

typedef struct Rig {
	VmConfig *cfg;
	Machine *m;
	DirtyLog *dl; /* the machine's */
	Aging *a;
	AgingFeed feed; /* dirty-log */
} Rig;

static bool rig_start(Rig *r, const char *elf, const char *append,
		      TestdevSyncFn hook)
{
	char *argv[] = { "kvmage",    "-m",	 "96M",
			 "-smp",      "1",	 "-kernel",
			 (char *)elf, "-append", (char *)append,
			 "-serial",   "none",	 NULL };
	AgingCoverage cov = aging_feed_dirty_log.coverage(1);
	g_autoptr(GError) err = NULL;
	AgingFeedEnv env;

	memset(r, 0, sizeof(*r));
	r->m = rig_machine_new(argv, hook, r, &r->cfg, &err);
	g_assert_no_error(err);
	r->dl = r->m->dirty_log;
	env = rig_feed_env(r->m);
	r->a = aging_new("pc.ram", &r->m->ram, NULL, IVAL_MS, &cov, &err);
	g_assert_no_error(err);
	if (!aging_feed_new(&r->feed, &aging_feed_dirty_log, &env, r->a, NULL,
			    1, false, &err)) {
		g_test_skip(err->message);
		aging_free(r->a);
		rig_machine_free(r->m, r->cfg);
		return false;
	}
	rig_workload_reset(&wl);
	g_assert_true(machine_start(r->m, &err));
	g_assert_no_error(err);
	return true;
}

static void rig_stop(Rig *r)
{
	vcpu_pause_all(r->m->kvm);
	aging_feed_free(&r->feed);
	aging_free(r->a);
	rig_machine_free(r->m, r->cfg);
}

/*
 * @n scans, each after at least one whole pass; prints the costs of a
 * harvest of the whole dirty log just before (the feed's own harvest then
 * finds what came since, and its bits were fanned out to it too).
 */
static void rig_scans(Rig *r, int n)
{
	g_autoptr(GError) err = NULL;
	DirtyLogStats st;
	AgingStats as;

	for (int i = 0; i < n; i++) {
		int now = g_atomic_int_get(&wl.syncs);

		g_assert_true(harness_wait_counter(&wl.syncs, now + 2, 20000));
		g_assert_true(dirty_log_sync(r->dl, &st, &err));
		g_assert_true(aging_feed_scan(&r->feed, 1, &err));
		g_assert_no_error(err);
		aging_query(r->a, 0, &as);
		g_test_message("scan %d: %" G_GUINT64_FORMAT
			       " pages, %" G_GUINT64_FORMAT
			       " dirty, kernel %.2f ns/page (%" G_GUINT64_FORMAT
			       " get, %" G_GUINT64_FORMAT
			       " clear, max clear %" G_GUINT64_FORMAT
			       " us), user %.2f ns/page (core %.2f), %" G_GUINT64_FORMAT
			       " written",
			       i, st.pages, st.dirty,
			       (double)st.kernel_ns / st.pages, st.get_calls,
			       st.clear_calls, st.max_clear_ns / 1000,
			       (double)as.last_cost.user_ns / st.pages,
			       (double)as.last_cost.core_ns / st.pages,
			       as.last_cost.written);
		g_assert_cmpuint(st.skipped_slots, ==, 0);
	}
}

typedef struct Score {
	uint64_t tp, fp, fn, tn; /* "hot" is the positive class */
} Score;

static Score rig_score(Rig *r)
{
	g_autoptr(AgingAges) ex = NULL;
	Score s = { 0 };

	g_assert_cmpuint(wl.data_gpa, ==, 0x800000);
	g_assert_cmpuint(wl.data_size, ==, 64ULL << 20);
	g_assert_cmpuint(wl.hot_size, ==, 4ULL << 20);
	ex = ages_export_at(r->a, &r->m->ram, wl.data_gpa);
	for (uint64_t off = 0; off < wl.data_size; off += PG) {
		unsigned age = ages_at(r->a, ex, wl.data_gpa + off);
		bool hot = off < wl.hot_size, said_hot;

		said_hot = age < COLD_AGE;
		s.tp += hot && said_hot;
		s.fp += !hot && said_hot;
		s.fn += hot && !said_hot;
		s.tn += !hot && !said_hot;
	}
	g_test_message("hot: tp %" G_GUINT64_FORMAT " fp %" G_GUINT64_FORMAT
		       " fn %" G_GUINT64_FORMAT " tn %" G_GUINT64_FORMAT,
		       s.tp, s.fp, s.fn, s.tn);
	return s;
}

/* Count set bits of the data area: [0] hot pages, [1] cold pages. */
static void count_bits(uint64_t *seen, const DirtyLogSlotInfo *si,
		       const unsigned long *bm)
{
	for (uint64_t off = 0; off < wl.data_size; off += PG) {
		uint64_t page = (wl.data_gpa + off - si->gpa) / PG;

		if (wl.data_gpa + off >= si->gpa && page < si->npages &&
		    (bm[page / 64] >> (page % 64) & 1))
			seen[off >= wl.hot_size]++;
	}
}

/* Fetch the "migration" consumer's bits of every slot into @seen. */
static void migration_fetch(Rig *r, DirtyLogClient *mig, uint64_t *seen)
{
	for (unsigned i = 0; i < dirty_log_nr_slots(r->dl); i++) {
		const DirtyLogSlotInfo *si = dirty_log_slot_info(r->dl, i);
		g_autofree unsigned long *bm =
			g_new0(unsigned long, (si->npages + 63) / 64);

		dirty_log_client_fetch(mig, i, bm);
		count_bits(seen, si, bm);
	}
}

static void test_write(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(AgingAges) ex = NULL;
	DirtyLogClient *mig;
	const char *elf;
	uint64_t seen[2] = { 0 };
	double precision, recall;
	AgingStats as;
	AgingThread *t;
	Score s;
	Rig r;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	if (!rig_start(&r, elf, HOTCOLD "write", on_sync))
		return;
	mig = dirty_log_client_add(r.dl, "migration", NULL, &err);
	g_assert_no_error(err);
	g_assert_true(harness_wait_counter(&wl.syncs, 1, 20000));
	rig_scans(&r, 1);
	/* Migration takes its initial all-ones (and the fill) now. */
	migration_fetch(&r, mig, seen);
	g_assert_cmpuint(seen[0] + seen[1], ==, wl.data_size / PG);
	rig_scans(&r, SCANS - 1);

	s = rig_score(&r);
	precision = (double)s.tp / (s.tp + s.fp);
	recall = (double)s.tp / (s.tp + s.fn);
	g_test_message("writes: precision %.4f recall %.4f", precision, recall);
	g_assert_cmpfloat(precision, >=, 0.99);
	g_assert_cmpfloat(recall, >=, 0.99);
	aging_query(r.a, COLD_AGE * IVAL_MS, &as);
	g_assert_cmpuint(as.scans, ==, SCANS);
	g_assert_true(as.coverage.writes);
	g_assert_false(as.coverage.reads);
	/* The cold data area is in the cold bytes. */
	g_assert_cmpuint(as.cold_bytes, >=, 60ULL << 20);

	/*
	 * Aging consumed its bits at every scan; migration, which did not
	 * since, still has every hot page and no cold one.
	 */
	seen[0] = seen[1] = 0;
	migration_fetch(&r, mig, seen);
	g_assert_cmpuint(seen[0], ==, wl.hot_size / PG);
	g_assert_cmpuint(seen[1], ==, 0);
	dirty_log_client_remove(mig);

	/* The harvest thread keeps the hot set hot while the guest runs. */
	t = aging_start("pc.ram", IVAL_MS / 2, aging_feed_scan, &r.feed, &err);
	g_assert_no_error(err);
	timescale_sleep_ms(1000); /* longer: more scans, the same ages */
	g_assert_cmpuint(aging_stop(t), >=, 10);
	ex = ages_export_at(r.a, &r.m->ram, wl.data_gpa);
	g_assert_cmpuint(ages_at(r.a, ex, wl.data_gpa), <=, 2);
	g_assert_cmpuint(ages_at(r.a, ex, wl.data_gpa + wl.hot_size), >=,
			 SCANS + 10);
	rig_stop(&r);
}

static void test_read(void)
{
	g_autoptr(AgingAges) ex = NULL;
	const char *elf;
	uint64_t hot_cold = 0;
	AgingStats as;
	Rig r;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	if (!rig_start(&r, elf, HOTCOLD "read", on_sync))
		return;
	g_assert_true(harness_wait_counter(&wl.syncs, 1, 20000));
	rig_scans(&r, SCANS);

	ex = ages_export_at(r.a, &r.m->ram, wl.data_gpa);
	for (uint64_t off = 0; off < wl.hot_size; off += PG)
		hot_cold += ages_at(r.a, ex, wl.data_gpa + off) >= COLD_AGE;
	g_test_message("reads: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
		       " read-hot pages look cold",
		       hot_cold, (uint64_t)(wl.hot_size / PG));
	/* Read-only hot pages look cold, and the reply says why. */
	g_assert_cmpuint(hot_cold, >=, (wl.hot_size / PG) * 99 / 100);
	aging_query(r.a, COLD_AGE * IVAL_MS, &as);
	g_assert_false(as.coverage.reads);
	g_assert_true(as.coverage.writes);
	g_assert_cmpstr(as.coverage.backend, ==, "dirty-log");
	g_assert_nonnull(strstr(as.coverage.note, "writes only"));
	g_assert_cmpuint(as.cold_bytes, >=, 64ULL << 20);
	rig_stop(&r);
}

/*
 * pattern=phases: the hot set moves to the next 4 MiB region every PHASE
 * passes.  Here the scan runs inside the SYNC hook (vCPU thread, guest
 * stopped between passes), so scan k follows pass k exactly and the truth
 * is exact: after pass p the pages written in passes p and p - 1 are the
 * hot ones (age < COLD_AGE).  A move is followed within two intervals.
 */
#define PHASE	    2
#define PHASE_SCANS 12

typedef struct PhaseRun {
	int scans, evaluated, errors;
	double worst_precision, worst_recall;
} PhaseRun;

static PhaseRun phase_run;

static uint64_t phase_region(uint64_t pass)
{
	return pass / PHASE % (wl.data_size / wl.hot_size);
}

static void phase_eval(Rig *r, uint64_t pass)
{
	uint64_t tp = 0, fp = 0, fn = 0;
	uint64_t now = phase_region(pass), prev = phase_region(pass - 1);
	g_autoptr(AgingAges) ex = ages_export_at(r->a, &r->m->ram, wl.data_gpa);

	for (uint64_t off = 0; off < wl.data_size; off += PG) {
		uint64_t region = off / wl.hot_size;
		bool hot = region == now || region == prev;
		bool said_hot = ages_at(r->a, ex, wl.data_gpa + off) < COLD_AGE;

		tp += hot && said_hot;
		fp += !hot && said_hot;
		fn += hot && !said_hot;
	}
	phase_run.worst_precision =
		MIN(phase_run.worst_precision, (double)tp / (tp + fp));
	phase_run.worst_recall =
		MIN(phase_run.worst_recall, (double)tp / (tp + fn));
	phase_run.evaluated++;
}

static void on_sync_scan(void *opaque, const struct ucall *uc)
{
	Rig *r = opaque;
	g_autoptr(GError) err = NULL;

	on_sync(NULL, uc);
	if (phase_run.scans >= PHASE_SCANS)
		return;
	if (!aging_feed_scan(&r->feed, 1, &err)) {
		phase_run.errors++;
		return;
	}
	phase_run.scans++;
	/* Stage 1 is the fill; stage 2 + p ends pass p. */
	if (uc->args[0] >= 3)
		phase_eval(r, uc->args[0] - 2);
}

static void test_phases(void)
{
	const char *elf;
	Rig r;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	phase_run = (PhaseRun){ 0, 0, 0, 1.0, 1.0 };
	if (!rig_start(&r, elf,
		       "size=64M hot=4M pattern=phases phase=" G_STRINGIFY(
			       PHASE) " passes=0 rw=write", on_sync_scan))
		return;
	g_assert_true(harness_wait_counter(&wl.syncs, PHASE_SCANS + 1, 20000));
	vcpu_pause_all(r.m->kvm);
	g_test_message("phases: %d scans, %d evaluated, worst precision %.4f "
		       "recall %.4f",
		       phase_run.scans, phase_run.evaluated,
		       phase_run.worst_precision, phase_run.worst_recall);
	g_assert_cmpint(phase_run.errors, ==, 0);
	g_assert_cmpint(phase_run.evaluated, ==, PHASE_SCANS - 2);
	g_assert_cmpfloat(phase_run.worst_precision, >=, 0.99);
	g_assert_cmpfloat(phase_run.worst_recall, >=, 0.99);
	rig_stop(&r);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/kvm/aging-dirty/write", test_write);
	g_test_add_func("/kvm/aging-dirty/read", test_read);
	g_test_add_func("/kvm/aging-dirty/phases", test_phases);
	return g_test_run();
}
