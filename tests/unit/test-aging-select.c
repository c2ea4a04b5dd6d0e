/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What reclaim asks of the aging core: cold runs by minimum age and
 * coldest first for a byte target (checked against a brute-force reading
 * of every page's age), the re-check "accessed after scan S", the ages of
 * a run, the working set, and huge-page units taken whole.  The
 * brute-force ages are the proven ages of aging_export() (../proven-ages.h).
 */
#include <string.h>
#include <glib.h>

#include "aging/aging.h"
#include "../proven-ages.h"

#define BPL   (8 * sizeof(unsigned long))
#define PG    4096ULL
#define BASE  0x200000ULL
#define IVAL  100 /* ms */
#define PAGES 512

static const AgingCoverage cov = { "test", true, true, 1.0, NULL };

static void set_bit(unsigned long *bm, uint64_t bit)
{
	bm[bit / BPL] |= 1UL << (bit % BPL);
}

static bool test_bit(const unsigned long *bm, uint64_t bit)
{
	return bm[bit / BPL] >> (bit % BPL) & 1;
}

static void scan(Aging *a, const unsigned long *bm, uint64_t npages)
{
	AgingCost cost = { .pages = npages };

	g_assert_true(aging_scan_begin(a, 1));
	if (bm)
		aging_update(a, BASE, bm, npages);
	aging_scan_end(a, &cost);
}

/*
 * PAGES pages of @page_size units; 20 scans; page i is accessed in scan s
 * when (i * 7 + s) % ((i % 13) + 1) == 0 for s <= i % 17, so ages vary
 * and cold pages come in runs of mixed ages.
 */
static Aging *aged(uint64_t page_size)
{
	g_autoptr(GError) err = NULL;
	Aging *a = aging_new("mem0", NULL, NULL, IVAL, &cov, &err);

	g_assert_no_error(err);
	g_assert_true(aging_add_range(a, BASE, PAGES * PG, page_size, &err));
	for (unsigned s = 0; s < 20; s++) {
		unsigned long bm[PAGES / BPL] = { 0 };

		for (unsigned i = 0; i < PAGES; i++) {
			if (s <= i % 17 && (i * 7 + s) % ((i % 13) + 1) == 0)
				set_bit(bm, i);
		}
		scan(a, bm, PAGES);
	}
	return a;
}

/* Runs cover exactly the pages @want says; sorted; maximal. */
static void check_runs(Aging *a, GArray *runs, const bool *want)
{
	g_autoptr(AgingAges) ex = ages_export(a, BASE);
	bool got[PAGES] = { false };

	for (guint k = 0; k < runs->len; k++) {
		AgingRun *r = &g_array_index(runs, AgingRun, k);
		unsigned lo = UINT32_MAX, hi = 0;

		g_assert_cmpuint(r->gpa, >=, BASE);
		g_assert_cmpuint(r->gpa + r->size, <=, BASE + PAGES * PG);
		for (uint64_t p = r->gpa; p < r->gpa + r->size; p += PG) {
			unsigned age = ages_at(a, ex, p);

			g_assert_false(got[(p - BASE) / PG]);
			got[(p - BASE) / PG] = true;
			lo = MIN(lo, age);
			hi = MAX(hi, age);
		}
		g_assert_cmpuint(r->min_age, ==, lo);
		g_assert_cmpuint(r->max_age, ==, hi);
		if (k)
			g_assert_cmpuint(g_array_index(runs, AgingRun, k - 1)
						 .min_age,
					 >=, r->min_age);
	}
	for (unsigned i = 0; i < PAGES; i++)
		g_assert_cmpint(got[i], ==, want[i]);
	/* maximal: no two runs touch */
	for (guint k = 0; k < runs->len; k++) {
		AgingRun *x = &g_array_index(runs, AgingRun, k);

		for (guint j = 0; j < runs->len; j++)
			g_assert_cmpuint(x->gpa + x->size, !=,
					 g_array_index(runs, AgingRun, j).gpa);
	}
}

static void test_min_age(void)
{
	Aging *a = aged(PG);

	g_autoptr(AgingAges) ex = ages_export(a, BASE);

	for (unsigned k = 0; k <= 21; k += 3) {
		bool want[PAGES];
		uint64_t scan_no;
		GArray *runs = aging_select_cold(a, k, 0, &scan_no);

		g_assert_cmpuint(scan_no, ==, 20);
		for (unsigned i = 0; i < PAGES; i++)
			want[i] = ages_at(a, ex, BASE + i * PG) >= k;
		check_runs(a, runs, want);
		g_array_free(runs, true);
	}
	aging_free(a);
}

static void test_target(void)
{
	Aging *a = aged(PG);
	uint64_t targets[] = { 1,	 PG,	    10 * PG, 100 * PG + 5,
			       300 * PG, PAGES * PG };
	g_autoptr(AgingAges) ex = ages_export(a, BASE);

	for (size_t t = 0; t < G_N_ELEMENTS(targets); t++) {
		bool want[PAGES] = { false }, got[PAGES] = { false };
		uint64_t scan_no, bytes = 0, eligible = 0;
		int youngest_taken = INT32_MAX, oldest_left = -1;
		GArray *runs = aging_select_cold(a, 1, targets[t], &scan_no);

		for (guint k = 0; k < runs->len; k++) {
			AgingRun *r = &g_array_index(runs, AgingRun, k);

			for (uint64_t p = r->gpa; p < r->gpa + r->size; p += PG)
				got[(p - BASE) / PG] = true;
			bytes += r->size;
		}
		for (unsigned i = 0; i < PAGES; i++) {
			int age = ages_at(a, ex, BASE + i * PG);

			eligible += age >= 1 ? PG : 0;
			if (got[i])
				youngest_taken = MIN(youngest_taken, age);
			else if (age >= 1)
				oldest_left = MAX(oldest_left, age);
			want[i] = got[i];
		}
		g_test_message("target %" G_GUINT64_FORMAT
			       ": %" G_GUINT64_FORMAT " bytes in %u runs",
			       targets[t], bytes, runs->len);
		/* coldest first: nothing left behind is older */
		g_assert_cmpint(oldest_left, <=, youngest_taken);
		g_assert_cmpint(youngest_taken, >=, 1);
		if (targets[t] <= eligible) {
			g_assert_cmpuint(bytes, >=, targets[t]);
			g_assert_cmpuint(bytes, <, targets[t] + PG);
		} else {
			g_assert_cmpuint(bytes, ==, eligible);
		}
		check_runs(a, runs, want);
		g_array_free(runs, true);
	}
	aging_free(a);
}

static void test_recheck(void)
{
	Aging *a = aged(PG);
	unsigned long bm[PAGES / BPL] = { 0 }, acc[PAGES / BPL + 1];
	uint64_t scan_no = aging_now(a), now;
	g_autoptr(AgingAges) ex = NULL;
	uint16_t ages[PAGES + 8];

	g_assert_cmpuint(aging_run_accessed_since(a, BASE, PAGES * PG, scan_no,
						  acc),
			 ==, 0);
	set_bit(bm, 3);
	set_bit(bm, 200);
	scan(a, bm, PAGES);
	scan(a, NULL, PAGES);
	memset(bm, 0, sizeof(bm));
	set_bit(bm, 201);
	scan(a, bm, PAGES);
	/* 8 pages beyond the range count as accessed */
	g_assert_cmpuint(aging_run_accessed_since(a, BASE, (PAGES + 8) * PG,
						  scan_no, acc),
			 ==, 3 + 8);
	for (unsigned i = 0; i < PAGES + 8; i++)
		g_assert_cmpint(test_bit(acc, i), ==,
				i == 3 || i == 200 || i == 201 || i >= PAGES);
	/* after the scan that saw 200, only 201 is newer */
	g_assert_cmpuint(aging_run_accessed_since(a, BASE + 200 * PG, 2 * PG,
						  scan_no + 1, acc),
			 ==, 1);
	g_assert_false(test_bit(acc, 0));
	g_assert_true(test_bit(acc, 1));
	aging_run_ages(a, BASE, PAGES + 8, ages, &now);
	g_assert_cmpuint(now, ==, scan_no + 3);
	ex = ages_export(a, BASE);
	for (unsigned i = 0; i < PAGES + 8; i++)
		g_assert_cmpint(ages[i], ==,
				i < PAGES ? ages_at(a, ex, BASE + i * PG) :
					    UINT16_MAX);
	/* working set: younger than 2 scans: 201; than 3: 3 and 200 too */
	g_assert_cmpuint(aging_bytes_accessed_within(a, 2 * IVAL), ==, PG);
	g_assert_cmpuint(aging_bytes_accessed_within(a, 3 * IVAL), ==, 3 * PG);
	g_assert_cmpuint(aging_interval_ms(a), ==, IVAL);
	aging_free(a);
}

/* 2 MiB units: runs are whole units, a target rounds up to one. */
static void test_huge(void)
{
	g_autoptr(GError) err = NULL;
	uint64_t huge = 2 << 20, scan_no;
	Aging *a = aging_new("mem0", NULL, NULL, IVAL, &cov, &err);
	unsigned long bm[(4 * 512) / BPL] = { 0 };
	GArray *runs;

	g_assert_true(aging_add_range(a, BASE, 4 * huge, huge, &err));
	scan(a, NULL, 4 * 512);
	set_bit(bm, 512 + 17); /* one 4 KiB page of the second unit */
	scan(a, bm, 4 * 512);
	runs = aging_select_cold(a, 1, PG, &scan_no);
	g_assert_cmpuint(runs->len, ==, 1);
	g_assert_cmpuint(g_array_index(runs, AgingRun, 0).size, ==, huge);
	g_array_free(runs, true);
	runs = aging_select_cold(a, 1, 0, &scan_no);
	g_assert_cmpuint(runs->len, ==, 2);
	g_assert_cmpuint(g_array_index(runs, AgingRun, 0).gpa, ==, BASE);
	g_assert_cmpuint(g_array_index(runs, AgingRun, 0).size, ==, huge);
	g_assert_cmpuint(g_array_index(runs, AgingRun, 1).gpa, ==,
			 BASE + 2 * huge);
	g_assert_cmpuint(g_array_index(runs, AgingRun, 1).size, ==, 2 * huge);
	g_array_free(runs, true);
	aging_free(a);
}

/* A sampling backend's arm hook: records what it armed. */
static bool fake_arm(void *opaque, uint64_t gpa, uint64_t size, GError **errp)
{
	bool *armed = opaque;

	for (uint64_t p = gpa; p < gpa + size; p += PG)
		armed[(p - BASE) / PG] = true;
	return true;
}

/*
 * Confirmation with a sampling backend (stride 8, one-page blocks): after
 * a fill, pages 0-63 hot, the rest idle; phases rotate for 4 scans, so
 * only phases 1-4 are proven.  aging_confirm() for 6 scans arms exactly
 * the pages not armed since their last access, counts the rest as armed
 * already, and is ready 6 scans after the arming; nothing is proven 6
 * scans yet.  After 6 more scans (the hot pages touched, the backend
 * arming nothing more), aging_select_in() takes every idle candidate and
 * counts the hot ones as touched, none as unproven.
 */
static void test_confirm(void)
{
	g_autoptr(GError) err = NULL;
	Aging *a = aging_new("mem0", NULL, NULL, IVAL, &cov, &err);
	unsigned long fill[PAGES / BPL], hot[PAGES / BPL] = { 0 };
	bool armed[PAGES] = { false };
	uint64_t ready, at, now, h = 0, u = 0, taken = 0;
	g_autoptr(GArray) cands = g_array_new(false, false, sizeof(AgingRun));
	g_autoptr(GArray) runs = NULL;
	AgingSplit sp;

	g_assert_true(aging_add_range(a, BASE, PAGES * PG, PG, &err));
	aging_set_sample(a, 8, 1, true);
	aging_set_arm(a, fake_arm, armed);
	memset(fill, 0xff, sizeof(fill));
	for (unsigned i = 0; i < 64; i++)
		set_bit(hot, i);
	scan(a, fill, PAGES); /* the fill: every page seen, nothing proven */
	for (unsigned ph = 1; ph <= 4; ph++) {
		g_assert_true(aging_scan_begin(a, 1));
		aging_update(a, BASE, hot, PAGES);
		aging_sample_armed(a, ph);
		aging_scan_end(a, &(AgingCost){ 0 });
	}
	now = aging_now(a);
	g_assert_true(aging_confirm(a, 1, 6, true, &sp, cands, &ready, &err));
	g_assert_no_error(err);
	/* idle pages of phases 1-4 were armed after the fill: proof young */
	g_assert_cmpuint(sp.proven, ==, 0);
	g_assert_cmpuint(sp.candidate, ==, (PAGES - 64) * PG);
	g_assert_cmpuint(ready, ==, now + 6);
	for (unsigned i = 0; i < PAGES; i++) {
		bool phase14 = i % 8 >= 1 && i % 8 <= 4;

		/* armed now: idle pages not armed since the fill */
		g_assert_cmpint(armed[i], ==, i >= 64 && !phase14);
	}
	g_assert_cmpuint(sp.armed, ==, (PAGES - 64) * PG);
	for (unsigned s = 0; s < 6; s++)
		scan(a, hot, PAGES);
	runs = aging_select_in(a, 6, cands, 0, now, &at, &h, &u);
	for (guint k = 0; k < runs->len; k++)
		taken += g_array_index(runs, AgingRun, k).size;
	g_assert_cmpuint(taken, ==, (PAGES - 64) * PG);
	g_assert_cmpuint(h, ==, 0);
	g_assert_cmpuint(u, ==, 0);
	/* a budget stops the selection; the rest is neither hot nor lost */
	g_array_unref(runs);
	h = u = 0;
	runs = aging_select_in(a, 6, cands, 16 * PG, now, &at, &h, &u);
	g_assert_cmpuint(runs->len, >=, 1);
	aging_set_arm(a, NULL, NULL);
	aging_free(a);
}

/*
 * The same with hot pages among the candidates (seen for 1 scan, as
 * target-bytes asks): they are armed, touched again, and counted hot.
 */
static void test_confirm_hot(void)
{
	g_autoptr(GError) err = NULL;
	Aging *a = aging_new("mem0", NULL, NULL, IVAL, &cov, &err);
	unsigned long fill[PAGES / BPL], hot[PAGES / BPL] = { 0 };
	bool armed[PAGES] = { false };
	uint64_t ready, at, now, h = 0, u = 0, taken = 0;
	g_autoptr(GArray) cands = g_array_new(false, false, sizeof(AgingRun));
	g_autoptr(GArray) runs = NULL;
	AgingSplit sp;

	g_assert_true(aging_add_range(a, BASE, PAGES * PG, PG, &err));
	aging_set_sample(a, 8, 1, false);
	aging_set_arm(a, fake_arm, armed);
	for (unsigned i = 0; i < 64; i++)
		set_bit(hot, i);
	memset(fill, 0xff, sizeof(fill));
	scan(a, fill, PAGES); /* seen, not re-armed: nothing proven */
	scan(a, NULL, PAGES);
	now = aging_now(a);
	g_assert_true(aging_confirm(a, 1, 2, true, &sp, cands, &ready, &err));
	g_assert_cmpuint(sp.candidate, ==, PAGES * PG);
	for (unsigned s = 0; s < 2; s++)
		scan(a, hot, PAGES); /* the hot pages fault again */
	runs = aging_select_in(a, 2, cands, 0, now, &at, &h, &u);
	for (guint k = 0; k < runs->len; k++)
		taken += g_array_index(runs, AgingRun, k).size;
	g_assert_cmpuint(taken, ==, (PAGES - 64) * PG);
	g_assert_cmpuint(h, ==, 64 * PG);
	g_assert_cmpuint(u, ==, 0);
	aging_set_arm(a, NULL, NULL);
	aging_free(a);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/aging/select/min-age", test_min_age);
	g_test_add_func("/aging/select/target", test_target);
	g_test_add_func("/aging/select/recheck", test_recheck);
	g_test_add_func("/aging/select/huge", test_huge);
	g_test_add_func("/aging/select/confirm", test_confirm);
	g_test_add_func("/aging/select/confirm-hot", test_confirm_hot);
	return g_test_run();
}
