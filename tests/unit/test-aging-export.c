/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Export and import of proven ages (aging/aging-export.c): an age leaves
 * as milliseconds and arrives rebased onto the receiver's scans and
 * interval history, never longer than proven on either side.
 */
#include <string.h>
#include <glib.h>

#include "aging/aging.h"
#include "util/bitmap.h"

#define PG   4096ULL
#define BASE 0x100000ULL
#define N    64

static const AgingCoverage cov = { "test", true, true, 1.0, NULL };

static Aging *new_aging(uint64_t ival, uint64_t units, uint64_t unit_size)
{
	g_autoptr(GError) err = NULL;
	Aging *a = aging_new("mem0", NULL, NULL, ival, &cov, &err);

	g_assert_no_error(err);
	g_assert_true(
		aging_add_range(a, BASE, units * unit_size, unit_size, &err));
	return a;
}

/* One scan that saw unit @unit accessed (-1: none). */
static void scan(Aging *a, int unit)
{
	unsigned long bm[BITS_TO_LONGS(N)] = { 0 };
	AgingCost cost = { .pages = N };

	g_assert_true(aging_scan_begin(a, 1));
	if (unit >= 0) {
		bitmap_set_bit(bm, unit);
		aging_update(a, BASE, bm, N);
	}
	aging_scan_end(a, &cost);
}

/*
 * Sender: 40 scans at 100 ms, then 10 at 200 ms; unit 0 accessed in the
 * last scan, unit 2 in scan 40, the others never.
 */
static Aging *sender(void)
{
	Aging *a = new_aging(100, N, PG);

	for (int i = 1; i <= 40; i++)
		scan(a, i == 40 ? 2 : -1);
	aging_set_interval(a, 200);
	for (int i = 41; i <= 50; i++)
		scan(a, i == 50 ? 0 : -1);
	return a;
}

static void test_export(void)
{
	g_autoptr(GError) err = NULL;
	Aging *a = sender();
	AgingAges *ex = aging_export(a, BASE, &err);

	g_assert_no_error(err);
	g_assert_cmpuint(ex->nr_units, ==, N);
	g_assert_cmpuint(ex->unit_size, ==, PG);
	g_assert_cmpuint(ex->age_ms[0], ==, 0);
	g_assert_cmpuint(ex->age_ms[2], ==, 10 * 200);
	g_assert_cmpuint(ex->age_ms[1], ==, 10 * 200 + 40 * 100);
	g_assert_null(aging_export(a, BASE + PG, &err));
	g_assert_nonnull(err);
	aging_ages_free(ex);
	aging_free(a);
}

/*
 * Receiver at 300 ms with only 3 scans, having seen unit 3 accessed in
 * its second: ages round down to whole receiver scans, what the
 * receiver saw wins where it is younger, and exporting again never
 * gives more than the sender proved.
 */
static void test_import_rebase(void)
{
	g_autoptr(GError) err = NULL;
	Aging *tx = sender(), *rx = new_aging(300, N, PG);
	AgingAges *ex, *back;
	uint16_t ages[N];
	uint64_t now;

	scan(rx, -1);
	scan(rx, 3);
	scan(rx, -1);
	ex = aging_export(tx, BASE, &err);
	g_assert_true(aging_import(rx, ex, &err));
	g_assert_no_error(err);
	aging_run_ages(rx, BASE, N, ages, &now);
	g_assert_cmpuint(now, ==, 3);
	g_assert_cmpuint(ages[1], ==, 20); /* 6000 ms: 20 scans of 300 */
	g_assert_cmpuint(ages[2], ==, 6);  /* 2000 ms: 6 scans (1800 ms) */
	g_assert_cmpuint(ages[0], ==, 0);  /* 0 ms */
	g_assert_cmpuint(ages[3], ==, 1);  /* seen here 1 scan ago */

	back = aging_export(rx, BASE, &err);
	for (unsigned u = 0; u < N; u++)
		g_assert_cmpuint(back->age_ms[u], <=, ex->age_ms[u]);
	g_assert_cmpuint(back->age_ms[1], ==, 6000);
	g_assert_cmpuint(back->age_ms[2], ==, 1800);
	/* The ages go on aging from there. */
	scan(rx, -1);
	aging_run_ages(rx, BASE, N, ages, &now);
	g_assert_cmpuint(ages[1], ==, 21);
	aging_ages_free(back);
	aging_ages_free(ex);
	aging_free(rx);
	aging_free(tx);
}

/* A shorter receiver interval: more scans, still no longer in ms. */
static void test_import_finer(void)
{
	g_autoptr(GError) err = NULL;
	Aging *tx = sender(), *rx = new_aging(70, N, PG);
	AgingAges *ex = aging_export(tx, BASE, &err), *back;

	g_assert_true(aging_import(rx, ex, &err));
	back = aging_export(rx, BASE, &err);
	g_assert_cmpuint(back->age_ms[1], ==, 85 * 70); /* 5950 <= 6000 */
	g_assert_cmpuint(back->age_ms[2], ==, 28 * 70); /* 1960 <= 2000 */
	for (unsigned u = 0; u < N; u++)
		g_assert_cmpuint(back->age_ms[u], <=, ex->age_ms[u]);
	aging_ages_free(back);
	aging_ages_free(ex);
	aging_free(rx);
	aging_free(tx);
}

/* Another layout, or a saturated age: refused, or clamped. */
static void test_import_limits(void)
{
	g_autoptr(GError) err = NULL;
	Aging *tx = sender(), *rx = new_aging(100, N / 2, PG);
	AgingAges *ex = aging_export(tx, BASE, &err);
	uint16_t ages[N];
	uint64_t now;

	g_assert_false(aging_import(rx, ex, &err));
	g_assert_nonnull(strstr(err->message, "match no bank"));
	g_clear_error(&err);
	aging_free(rx);

	rx = new_aging(1, N, PG);
	ex->age_ms[5] = UINT64_MAX / 2;
	g_assert_true(aging_import(rx, ex, &err));
	aging_run_ages(rx, BASE, N, ages, &now);
	g_assert_cmpuint(ages[5], ==, AGING_AGE_MAX);
	aging_ages_free(ex);
	aging_free(rx);
	aging_free(tx);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/aging/export", test_export);
	g_test_add_func("/aging/import/rebase", test_import_rebase);
	g_test_add_func("/aging/import/finer", test_import_finer);
	g_test_add_func("/aging/import/limits", test_import_limits);
	return g_test_run();
}
