/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The aging core: age math, histogram bins, saturation across the uint16
 * wrap, huge pages counted once, cost proportional to the accessed pages,
 * and skipped scans.  Proven ages are read through aging_export()
 * (../proven-ages.h), as migration reads them.
 */
#include <string.h>
#include <glib.h>

#include "aging/aging.h"
#include "../proven-ages.h"
#include "../timescale.h"

#define BPL  (8 * sizeof(unsigned long))
#define PG   4096ULL
#define BASE 0x100000ULL /* a 64-page-aligned gpa */
#define IVAL 100	 /* ms */

static const AgingCoverage cov = { "test", true, true, 1.0, NULL };

static Aging *new_aging(uint64_t npages, uint64_t page_size)
{
	g_autoptr(GError) err = NULL;
	Aging *a = aging_new("mem0", NULL, NULL, IVAL, &cov, &err);

	g_assert_no_error(err);
	g_assert_true(aging_add_range(a, BASE, npages * PG, page_size, &err));
	g_assert_no_error(err);
	return a;
}

static void set_bit(unsigned long *bm, uint64_t bit)
{
	bm[bit / BPL] |= 1UL << (bit % BPL);
}

/* One scan marking @bm (may be NULL); returns the entries written. */
static uint64_t scan(Aging *a, const unsigned long *bm, uint64_t npages)
{
	AgingCost cost = { .pages = npages };
	uint64_t w = 0;

	g_assert_true(aging_scan_begin(a, 1));
	if (bm)
		w = aging_update(a, BASE, bm, npages);
	aging_scan_end(a, &cost);
	return w;
}

static void test_ages(void)
{
	unsigned long bm[1] = { 0 };
	Aging *a = new_aging(64, PG);
	uint16_t ages[66];
	uint64_t scan_no;
	AgingStats st;

	g_assert_cmpuint(ages_page_age(a, BASE, BASE), ==, 0);
	set_bit(bm, 0);
	set_bit(bm, 5);
	g_assert_cmpuint(scan(a, bm, 64), ==, 2);
	for (int i = 0; i < 3; i++)
		scan(a, NULL, 64);
	{
		g_autoptr(AgingAges) ex = ages_export(a, BASE);

		g_assert_cmpuint(ex->nr_units, ==, 64);
		g_assert_cmpuint(ages_at(a, ex, BASE), ==, 3);
		g_assert_cmpuint(ages_at(a, ex, BASE + 5 * PG), ==, 3);
		g_assert_cmpuint(ages_at(a, ex, BASE + PG), ==, 4);
	}
	/* The pages around the memdev are not aged. */
	aging_run_ages(a, BASE - PG, 66, ages, &scan_no);
	g_assert_cmpuint(scan_no, ==, 4);
	g_assert_cmpuint(ages[0], ==, UINT16_MAX);
	g_assert_cmpuint(ages[1], ==, 3);
	g_assert_cmpuint(ages[2], ==, 4);
	g_assert_cmpuint(ages[65], ==, UINT16_MAX);

	/* 2 pages at 300 ms, 62 at 400 ms: bins [200,400) and [400,800). */
	aging_query(a, 400, &st);
	g_assert_cmpuint(st.scans, ==, 4);
	g_assert_cmpuint(st.total_bytes, ==, 64 * PG);
	g_assert_cmpuint(st.hist_bytes[2], ==, 2 * PG);
	g_assert_cmpuint(st.hist_bytes[3], ==, 62 * PG);
	g_assert_cmpuint(st.cold_bytes, ==, 62 * PG);
	g_assert_true(st.coverage.reads && st.coverage.writes);
	aging_free(a);
}

static void test_bins(void)
{
	g_assert_cmpuint(aging_hist_edge_ms(0), ==, 0);
	g_assert_cmpuint(aging_hist_edge_ms(1), ==, 100);
	g_assert_cmpuint(aging_hist_edge_ms(2), ==, 200);
	g_assert_cmpuint(aging_hist_edge_ms(15), ==, 1638400);
	for (unsigned b = 1; b + 1 < AGING_HIST_BINS; b++)
		g_assert_cmpuint(aging_hist_edge_ms(b + 1), ==,
				 2 * aging_hist_edge_ms(b));
}

/* Well past several uint16 wraps, with single steps and big jumps. */
static void test_wrap(void)
{
	unsigned long bm[2] = { 0 };
	Aging *a = new_aging(128, PG);
	AgingStats st;
	AgingCost cost = { 0 };
	uint64_t n = 3 * 65536 + 123;

	set_bit(bm, 0);
	for (uint64_t i = 0; i < n; i++) {
		if (i == n - 10)
			set_bit(bm, 1);
		scan(a, bm, 128);
	}
	g_assert_cmpuint(ages_page_age(a, BASE, BASE), ==, 0);
	g_assert_cmpuint(ages_page_age(a, BASE, BASE + PG), ==, 0);
	g_assert_cmpuint(ages_page_age(a, BASE, BASE + 2 * PG), ==,
			 AGING_AGE_MAX);
	memset(bm, 0, sizeof(bm));
	set_bit(bm, 3);
	scan(a, bm, 128);
	for (int i = 0; i < 40; i++) {
		/* Jumps of a whole sweep period never alias. */
		g_assert_true(aging_scan_begin(a, AGING_SWEEP_SCANS));
		aging_scan_end(a, &cost);
		if (i == 1)
			g_assert_cmpuint(ages_page_age(a, BASE, BASE + 3 * PG),
					 ==, 2 * AGING_SWEEP_SCANS);
		g_assert_cmpuint(ages_page_age(a, BASE, BASE + 2 * PG), ==,
				 AGING_AGE_MAX);
	}
	g_assert_cmpuint(ages_page_age(a, BASE, BASE), ==, AGING_AGE_MAX);
	g_assert_cmpuint(ages_page_age(a, BASE, BASE + 3 * PG), ==,
			 AGING_AGE_MAX);
	aging_query(a, 0, &st);
	g_assert_cmpuint(st.hist_bytes[AGING_HIST_BINS - 1], ==, 128 * PG);
	aging_free(a);
}

/* 2 MiB pages: one entry per huge page, bytes counted at 2 MiB. */
static void test_huge(void)
{
	uint64_t npages = 4 * 512;
	g_autofree unsigned long *bm = g_new0(unsigned long, npages / BPL);
	g_autoptr(GError) err = NULL;
	Aging *a = aging_new("huge", NULL, NULL, IVAL, &cov, &err);
	AgingStats st;

	g_assert_true(
		aging_add_range(a, 0x200000, npages * PG, 0x200000, &err));
	g_assert_false(aging_add_range(a, 0x1000, 0x200000, 0x200000, &err));
	g_assert_nonnull(err);
	for (uint64_t i = 512; i < 1024; i++)
		set_bit(bm, i);
	set_bit(bm, 3 * 512 + 77);
	g_assert_true(aging_scan_begin(a, 1));
	g_assert_cmpuint(aging_update(a, 0x200000, bm, npages), ==, 2);
	aging_scan_end(a, &(AgingCost){ 0 });
	scan(a, NULL, 0);
	{
		g_autoptr(AgingAges) ex = ages_export(a, 0x200000);

		/* one unit per huge page */
		g_assert_cmpuint(ex->nr_units, ==, 4);
		g_assert_cmpuint(ex->unit_size, ==, 0x200000);
		g_assert_cmpuint(ages_at(a, ex, 0x200000 + 0x200000 + 4096), ==,
				 1);
		g_assert_cmpuint(ages_at(a, ex, 0x200000 + 3 * 0x200000), ==,
				 1);
		g_assert_cmpuint(ages_at(a, ex, 0x200000), ==, 2);
	}
	aging_query(a, 200, &st);
	g_assert_cmpuint(st.total_bytes, ==, 4 * 0x200000ULL);
	g_assert_cmpuint(st.cold_bytes, ==, 2 * 0x200000ULL);
	g_assert_cmpuint(st.hist_bytes[1], ==, 2 * 0x200000ULL);
	aging_free(a);
}

/* A sparse bitmap of a 4 GiB bank writes only the pages it marks. */
static void test_proportional(void)
{
	uint64_t npages = 1ULL << 20;
	g_autofree unsigned long *bm = g_new0(unsigned long, npages / BPL);
	Aging *a = new_aging(npages, PG);
	AgingStats st;

	g_assert_cmpuint(scan(a, bm, npages), ==, 0);
	for (uint64_t i = 0; i < 10; i++)
		set_bit(bm, i * 99991);
	g_assert_cmpuint(scan(a, bm, npages), ==, 10);
	aging_query(a, 0, &st);
	g_assert_cmpuint(st.last_cost.written, ==, 10);
	g_assert_cmpuint(st.last_cost.pages, ==, npages);
	{
		g_autoptr(AgingAges) ex = ages_export(a, BASE);

		g_assert_cmpuint(ages_at(a, ex, BASE + 99991 * PG), ==, 0);
		g_assert_cmpuint(ages_at(a, ex, BASE + 99990 * PG), ==, 2);
	}
	/* Partial overlap: only the part inside the range counts. */
	g_assert_true(aging_scan_begin(a, 1));
	g_assert_cmpuint(aging_update(a, BASE + (npages - 64) * PG, bm, 128),
			 ==, 1);
	aging_scan_end(a, &(AgingCost){ 0 });
	aging_free(a);
}

/* A busy state skips the scan; its intervals count in the next one. */
static void test_skip(void)
{
	Aging *a = new_aging(64, PG);
	AgingStats st;

	g_assert_true(aging_scan_begin(a, 1));
	g_assert_false(aging_scan_begin(a, 1));
	aging_scan_end(a, &(AgingCost){ 0 });
	g_assert_true(aging_scan_begin(a, 1));
	aging_scan_end(a, &(AgingCost){ 0 });
	g_assert_cmpuint(ages_page_age(a, BASE, BASE), ==, 3);
	aging_query(a, 0, &st);
	g_assert_cmpuint(st.skipped, ==, 1);
	g_assert_cmpuint(st.scans, ==, 2);
	aging_free(a);
}

static gint thread_scans;

static bool count_scan(void *opaque, unsigned ticks, GError **errp)
{
	g_atomic_int_inc(&thread_scans);
	return true;
}

static void test_thread(void)
{
	g_autoptr(GError) err = NULL;
	AgingThread *t = aging_start("t", 5, count_scan, NULL, &err);
	uint64_t n;

	g_assert_no_error(err);
	timescale_sleep_ms(100); /* 20 intervals; 5 are asked for */
	n = aging_stop(t);
	g_assert_cmpuint(n, >=, 5);
	g_assert_cmpuint(n, ==, g_atomic_int_get(&thread_scans));
	g_assert_null(aging_start("t", 0, count_scan, NULL, &err));
	g_assert_nonnull(err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/aging/ages", test_ages);
	g_test_add_func("/aging/bins", test_bins);
	g_test_add_func("/aging/wrap", test_wrap);
	g_test_add_func("/aging/huge", test_huge);
	g_test_add_func("/aging/proportional", test_proportional);
	g_test_add_func("/aging/skip", test_skip);
	g_test_add_func("/aging/thread", test_thread);
	return g_test_run();
}
