/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reclaim engine on an anonymous "guest RAM" bank with a hand-fed
 * aging, both madvise paths: pages the aging sees accessed after the plan
 * are never advised (counted raced), absent pages are skipped, pageout
 * swaps the rest (read back from pagemap) and keeps every byte, a cancel
 * stops within one batch, a dry run changes nothing, a hugetlb backend
 * is skipped with its reason, and refaults are found through the aging
 * (pages marked accessed after the reclaim) and through residency (pages
 * in swap read back without the aging seeing it).  Pageout needs swap:
 * those cases skip without it.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <glib.h>

#include "../swap-util.h"
#include "aging/aging.h"
#include "reclaim/reclaim.h"

#define PG     4096ULL
#define MiB    (1024 * 1024ULL)
#define SIZE   (8 * MiB)
#define NPAGES (SIZE / PG)
#define GPA    0x200000ULL
#define IVAL   100
#define BPL    (8 * sizeof(unsigned long))

static const AgingCoverage cov = { "test", true, true, 1.0, NULL };

typedef struct Rig {
	HostMemBackend be;
	RamList ram;
	Aging *a;
	uint8_t *mem;
	ReclaimTarget t;
	int yields;
	int race_at, cancel_at; /* yield numbers, 0: never */
	uint64_t race_first, race_n;
} Rig;

/* Pages [first, first + n) accessed in one scan (n 0: an empty scan). */
static void rig_scan(Rig *r, uint64_t first, uint64_t n)
{
	g_autofree unsigned long *bm = g_new0(unsigned long, NPAGES / BPL);
	AgingCost cost = { 0 };

	for (uint64_t i = first; i < first + n; i++)
		bm[i / BPL] |= 1UL << (i % BPL);
	g_assert_true(aging_scan_begin(r->a, 1));
	aging_update(r->a, GPA, bm, NPAGES);
	aging_scan_end(r->a, &cost);
}

/* Every page written but the last MiB (absent); ages 3 scans. */
static void rig_init(Rig *r, uint64_t page_size)
{
	g_autoptr(GError) err = NULL;

	memset(r, 0, sizeof(*r));
	r->mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g_assert(r->mem != MAP_FAILED);
	g_assert_cmpint(madvise(r->mem, SIZE, MADV_NOHUGEPAGE), ==, 0);
	for (uint64_t i = 0; i < NPAGES - MiB / PG; i++)
		memset(r->mem + i * PG, (int)(i * 7 + 1) & 0xff, PG);
	r->be = (HostMemBackend){ .id = "m0",
				  .type = HOSTMEM_RAM,
				  .size = SIZE,
				  .fd = -1,
				  .host = r->mem,
				  .page_size = page_size,
				  .allocated = true };
	ram_list_init(&r->ram);
	g_assert_nonnull(ram_bank_add(&r->ram, RAM_BANK_RAM, GPA, SIZE, &r->be,
				      0, &err));
	g_assert_no_error(err);
	r->a = aging_new("m0", &r->ram, NULL, IVAL, &cov, &err);
	g_assert_no_error(err);
	aging_set_watching(r->a, true); /* fed by hand: rig_scan() */
	rig_scan(r, 0, NPAGES);
	for (int i = 0; i < 3; i++)
		rig_scan(r, 0, 0);
	r->t = (ReclaimTarget){ "m0", &r->ram, &r->be, r->a };
}

static void rig_check_data(Rig *r)
{
	for (uint64_t i = 0; i < NPAGES; i++) {
		uint8_t want = i < NPAGES - MiB / PG ? (i * 7 + 1) & 0xff : 0;

		g_assert_cmpuint(r->mem[i * PG], ==, want);
		g_assert_cmpuint(r->mem[i * PG + PG - 1], ==, want);
	}
}

static void rig_free(Rig *r)
{
	aging_free(r->a);
	ram_list_destroy(&r->ram);
	g_assert_cmpint(munmap(r->mem, SIZE), ==, 0);
}

/* pagemap of page @i: 1 present, 2 swapped, 0 neither */
static int page_state(Rig *r, uint64_t i)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(pread(fd, &e, 8, ((uintptr_t)r->mem / PG + i) * 8), ==,
			8);
	close(fd);
	return e >> 63 ? 1 : (e >> 62 & 1) ? 2 : 0;
}

/* The guest reads pages [first, first + n): the aging is not told. */
static void rig_read(Rig *r, uint64_t first, uint64_t n)
{
	volatile uint8_t sink;

	for (uint64_t i = first; i < first + n; i++)
		sink = r->mem[i * PG];
	(void)sink;
}

static bool hook_yield(void *opaque)
{
	Rig *r = opaque;

	r->yields++;
	if (r->yields == r->race_at)
		rig_scan(r, r->race_first, r->race_n); /* the guest wrote */
	return r->yields != r->cancel_at;
}

static ReclaimHooks hooks_of(Rig *r)
{
	return (ReclaimHooks){ .yield = hook_yield, .opaque = r };
}

static void set_uring(bool uring)
{
	if (uring)
		g_unsetenv("KVMAGE_TEST_MADVISE_NO_URING");
	else
		g_setenv("KVMAGE_TEST_MADVISE_NO_URING", "1", true);
}

/* Accessed after the plan: never advised, counted raced. */
static void test_race(gconstpointer data)
{
	ReclaimParams p = { .min_age_ms = 2 * IVAL, .advice = MADV_PAGEOUT };
	g_autoptr(GError) err = NULL;
	ReclaimStats st;
	ReclaimHooks h;
	Rig r;

	if (!swap_or_skip(64 * MiB))
		return;
	set_uring(GPOINTER_TO_INT(data));
	rig_init(&r, PG);
	h = hooks_of(&r);
	r.race_at = 1; /* after the plan, before the first batch */
	r.race_first = 100;
	r.race_n = 10;
	g_assert_true(reclaim_run(&r.t, &p, &h, NULL, &st, &err));
	g_assert_no_error(err);
	g_assert_cmpint(st.uring, ==, GPOINTER_TO_INT(data));
	g_assert_cmpuint(st.selected, ==, SIZE);
	g_assert_cmpuint(st.raced, ==, 10 * PG);
	g_assert_cmpuint(st.absent, ==, MiB);
	g_assert_cmpuint(st.advised, ==, SIZE - MiB - 10 * PG);
	g_assert_cmpuint(st.not_reached + st.failed + st.unswappable, ==, 0);
	g_assert_cmpuint(st.swapped, >=, st.advised * 9 / 10);
	for (uint64_t i = 100; i < 110; i++)
		g_assert_cmpint(page_state(&r, i), ==, 1);
	g_assert_cmpint(page_state(&r, 99), ==, 2);
	g_assert_cmpint(page_state(&r, 110), ==, 2);
	rig_check_data(&r);
	rig_free(&r);
	g_unsetenv("KVMAGE_TEST_MADVISE_NO_URING");
}

/* Batches of 64 KiB (rate limit): a cancel at the 3rd yield. */
static void test_cancel(void)
{
	ReclaimParams p = { .advice = MADV_COLD,
			    .rate_limit = 10 * RECLAIM_BATCH_MIN };
	g_autoptr(GError) err = NULL;
	ReclaimStats st;
	ReclaimHooks h;
	Rig r;

	rig_init(&r, PG);
	h = hooks_of(&r);
	r.cancel_at = 3;
	g_assert_true(reclaim_run(&r.t, &p, &h, NULL, &st, &err));
	g_assert_true(st.cancelled);
	g_assert_cmpuint(st.batches, ==, 2);
	g_assert_cmpuint(st.advised, ==, 2 * RECLAIM_BATCH_MIN);
	g_assert_cmpuint(st.not_reached, ==, SIZE - 2 * RECLAIM_BATCH_MIN);
	rig_free(&r);
}

static void test_dry_run(void)
{
	ReclaimParams p = { .target_bytes = 3 * MiB,
			    .advice = MADV_PAGEOUT,
			    .dry_run = true };
	g_autoptr(GError) err = NULL;
	ReclaimStats st;
	ReclaimHooks h;
	Rig r;

	rig_init(&r, PG);
	h = hooks_of(&r);
	/* pages 0..255 younger: the coldest 3 MiB lie above them */
	rig_scan(&r, 0, 256);
	rig_scan(&r, 0, 0);
	g_assert_true(reclaim_run(&r.t, &p, &h, NULL, &st, &err));
	g_assert_cmpuint(st.selected, ==, 3 * MiB);
	g_assert_cmpuint(st.would_advise + st.absent, ==, 3 * MiB);
	g_assert_cmpuint(st.advised + st.batches, ==, 0);
	for (uint64_t i = 0; i < NPAGES - MiB / PG; i++)
		g_assert_cmpint(page_state(&r, i), ==, 1);
	rig_free(&r);
}

/* A hugetlb backend: nothing advised, all unswappable. */
static void test_hugetlb(void)
{
	ReclaimParams p = { .min_age_ms = 0, .advice = MADV_COLD };
	g_autoptr(GError) err = NULL;
	ReclaimStats st;
	ReclaimHooks h;
	Rig r;

	rig_init(&r, 2 * MiB);
	h = hooks_of(&r);
	g_assert_true(reclaim_run(&r.t, &p, &h, NULL, &st, &err));
	g_assert_true(st.hugetlb);
	g_assert_cmpuint(st.unswappable, ==, SIZE);
	g_assert_cmpuint(st.advised, ==, 0);
	rig_free(&r);
}

static void test_refaults(void)
{
	ReclaimParams p = { .min_age_ms = 2 * IVAL, .advice = MADV_PAGEOUT };
	g_autoptr(GError) err = NULL;
	ReclaimRefaults *rf = reclaim_refaults_new();
	ReclaimRefaultStats rs;
	ReclaimStats st;
	ReclaimHooks h;
	Rig r;

	if (!swap_or_skip(64 * MiB))
		return;
	rig_init(&r, PG);
	h = hooks_of(&r);
	g_assert_true(reclaim_run(&r.t, &p, &h, rf, &st, &err));
	reclaim_refaults_poll(rf, r.a, &r.ram);
	reclaim_refaults_stats(rf, &rs);
	g_assert_cmpuint(rs.refaulted, ==, 0);
	g_assert_cmpuint(rs.watched, ==, st.advised);
	/* the aging sees 16 pages written; 8 others are read unseen */
	rig_scan(&r, 0, 16);
	rig_read(&r, 500, 8);
	reclaim_refaults_poll(rf, r.a, &r.ram);
	reclaim_refaults_stats(rf, &rs);
	g_assert_cmpuint(rs.by_aging, ==, 16 * PG);
	g_assert_cmpuint(rs.by_residency, ==, 8 * PG);
	g_assert_cmpuint(rs.refaulted, ==, 24 * PG);
	g_assert_cmpuint(rs.last_minute, ==, 24 * PG);
	g_assert_cmpuint(rs.watched, ==, st.advised - 24 * PG);
	/* counted once */
	rig_scan(&r, 0, 16);
	reclaim_refaults_poll(rf, r.a, &r.ram);
	reclaim_refaults_stats(rf, &rs);
	g_assert_cmpuint(rs.refaulted, ==, 24 * PG);
	reclaim_refaults_free(rf);
	rig_check_data(&r);
	rig_free(&r);
}

/*
 * Refaults between two jobs, with no poll in between (a controller that
 * reclaims periodically): job 1 pages out the cold set, the guest writes
 * 16 pages (the aging sees it) and reads 8 (only residency could), they
 * go cold again and job 2 advises all 24 anew.  Handing job 2's pages
 * over to the memdev's watch must count those 24 refaults, not drop
 * them with the older entries.
 */
static void test_refaults_between_jobs(void)
{
	ReclaimParams p = { .min_age_ms = 2 * IVAL, .advice = MADV_PAGEOUT };
	g_autoptr(GError) err = NULL;
	ReclaimRefaults *md = reclaim_refaults_new(), *rf;
	ReclaimRefaultStats rs;
	ReclaimStats st;
	ReclaimHooks h;
	Rig r;

	if (!swap_or_skip(64 * MiB))
		return;
	rig_init(&r, PG);
	h = hooks_of(&r);
	rf = reclaim_refaults_new();
	g_assert_true(reclaim_run(&r.t, &p, &h, rf, &st, &err));
	reclaim_refaults_take(md, rf, r.a);
	reclaim_refaults_free(rf);
	g_assert_cmpuint(st.swapped, >=, 24 * PG);
	for (uint64_t i = 0; i < 16; i++) { /* the same bytes, written */
		volatile uint8_t *v = r.mem + i * PG;

		*v = *v;
	}
	rig_scan(&r, 0, 16);
	rig_read(&r, 500, 8);
	for (int i = 0; i < 3; i++)
		rig_scan(&r, 0, 0);
	rf = reclaim_refaults_new();
	g_assert_true(reclaim_run(&r.t, &p, &h, rf, &st, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(st.advised, >=, 24 * PG);
	reclaim_refaults_take(md, rf, r.a);
	reclaim_refaults_free(rf);
	reclaim_refaults_stats(md, &rs);
	g_test_message("between jobs: %" G_GUINT64_FORMAT
		       " by aging, %" G_GUINT64_FORMAT " by residency",
		       rs.by_aging, rs.by_residency);
	g_assert_cmpuint(rs.by_aging, ==, 16 * PG);
	g_assert_cmpuint(rs.by_residency, ==, 8 * PG);
	g_assert_cmpuint(rs.last_minute, ==, 24 * PG);
	reclaim_refaults_free(md);
	rig_check_data(&r);
	rig_free(&r);
}

/*
 * A switch to a backend that sees reads restarts every age ("seen now"):
 * that is no refault.  Reclaim on write-only ages, restart, poll: the
 * aging counts nothing; a real read of 8 pages is still found through
 * residency.
 */
static void test_refaults_restart(void)
{
	static const AgingCoverage wo = { "test-writes", false, true, 1.0,
					  NULL };
	ReclaimParams p = { .min_age_ms = 2 * IVAL,
			    .advice = MADV_PAGEOUT,
			    .allow_write_only = true };
	g_autoptr(GError) err = NULL;
	ReclaimRefaults *rf = reclaim_refaults_new();
	ReclaimRefaultStats rs;
	ReclaimStats st;
	ReclaimHooks h;
	Rig r;

	if (!swap_or_skip(64 * MiB))
		return;
	rig_init(&r, PG);
	aging_set_coverage(r.a, &wo);
	h = hooks_of(&r);
	g_assert_true(reclaim_run(&r.t, &p, &h, rf, &st, &err));
	g_assert_no_error(err);
	g_assert_false(st.reads);
	g_assert_cmpuint(st.swapped, >, 0);
	rig_scan(&r, 0, 0);
	aging_set_coverage(r.a, &cov); /* every age restarts */
	rig_scan(&r, 0, 0);
	rig_read(&r, 500, 8);
	reclaim_refaults_poll(rf, r.a, &r.ram);
	reclaim_refaults_stats(rf, &rs);
	g_assert_cmpuint(rs.by_aging, ==, 0);
	g_assert_cmpuint(rs.by_residency, ==, 8 * PG);
	reclaim_refaults_free(rf);
	rig_check_data(&r);
	rig_free(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/reclaim/race/uring", GINT_TO_POINTER(1),
			     test_race);
	g_test_add_data_func("/reclaim/race/madvise", GINT_TO_POINTER(0),
			     test_race);
	g_test_add_func("/reclaim/cancel", test_cancel);
	g_test_add_func("/reclaim/dry-run", test_dry_run);
	g_test_add_func("/reclaim/hugetlb", test_hugetlb);
	g_test_add_func("/reclaim/refaults", test_refaults);
	g_test_add_func("/reclaim/refaults-between-jobs",
			test_refaults_between_jobs);
	g_test_add_func("/reclaim/refaults-restart", test_refaults_restart);
	return g_test_run();
}
