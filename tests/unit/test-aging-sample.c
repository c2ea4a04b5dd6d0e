/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The aging core's sampled estimate and proofs (aging_set_sample()),
 * offline: a model of the uffd sampled backend feeds synthetic scans.
 * The model arms every unit at set-up, then the blocks of B units with
 * (u / B) % N == phase at the end of each scan, and a guest touch of an
 * armed unit reports it once (a minor fault) and disarms it; touches of
 * unarmed units are invisible, exactly like uffd.  Each unit has a touch
 * period (1: hot, every interval; P: every P intervals; 0: never after
 * the first interval), so the true idle time at every scan is known.
 *
 * Checked: no proven age ever exceeds the true idle time, and proofs lag
 * it by at most one rotation; cold bytes within the stated 95% error of
 * the truth in >= 90% of random trials (pages alike in runs, as in real
 * guests, or each on its own; single pages or blocks) and within 5% of
 * the truth in >= 98% of them; the error is not grossly overstated; a
 * moved hot set is followed after exactly K + 1 scans for a threshold of
 * K scans; thresholds of N scans or more, and queries before a cohort is
 * old enough, come from the proofs and say so; the histogram agrees with
 * the cold-bytes estimates.
 */
#include <math.h>
#include <string.h>
#include <glib.h>

#include "aging/aging.h"
#include "../proven-ages.h"

#define BPL  (8 * sizeof(unsigned long))
#define PG   4096ULL
#define BASE 0x100000ULL
#define IVAL 100 /* ms */

static const AgingCoverage cov = { "model", true, true, 1.0 / 64, NULL };

typedef struct Model {
	Aging *a;
	uint64_t npages;
	unsigned stride, block, phase;
	uint64_t scan;	  /* scans done; interval scan + 1 is running */
	bool *armed;	  /* the backend's zapped units */
	unsigned *period; /* touch period in intervals, 0: never */
	unsigned *offset; /* touched in intervals t with t % period == off */
	uint64_t *last;	  /* interval (1-based) of the true last touch */
	unsigned long *bm;
} Model;

/* Is unit @u in the phase @p blocks? */
static bool model_in_phase(const Model *m, uint64_t u, unsigned p)
{
	return (u / m->block) % m->stride == p;
}

static void model_init_block(Model *m, uint64_t npages, unsigned stride,
			     unsigned block)
{
	g_autoptr(GError) err = NULL;

	memset(m, 0, sizeof(*m));
	m->npages = npages;
	m->stride = stride;
	m->block = block;
	m->a = aging_new("mem0", NULL, NULL, IVAL, &cov, &err);
	g_assert_no_error(err);
	g_assert_true(aging_add_range(m->a, BASE, npages * PG, PG, &err));
	g_assert_no_error(err);
	m->armed = g_new0(bool, npages);
	m->period = g_new0(unsigned, npages);
	m->offset = g_new0(unsigned, npages);
	m->last = g_new0(uint64_t, npages);
	m->bm = g_new0(unsigned long, (npages + BPL - 1) / BPL);
	for (uint64_t u = 0; u < npages; u++)
		m->armed[u] = true;
	aging_set_sample(m->a, stride, block, true);
}

static void model_init(Model *m, uint64_t npages, unsigned stride)
{
	model_init_block(m, npages, stride, 1);
}

static void model_free(Model *m)
{
	aging_free(m->a);
	g_free(m->armed);
	g_free(m->period);
	g_free(m->offset);
	g_free(m->last);
	g_free(m->bm);
}

/* The guest touches @u in the current interval. */
static void model_touch(Model *m, uint64_t u)
{
	m->last[u] = m->scan + 1;
	if (m->armed[u]) {
		m->bm[u / BPL] |= 1UL << (u % BPL);
		m->armed[u] = false;
	}
}

/* @ticks intervals of guest activity, then one scan (harvest, re-arm). */
static void model_scan_ticks(Model *m, unsigned ticks)
{
	AgingCost cost = { .pages = m->npages };
	uint64_t t;

	for (t = m->scan + 1; t <= m->scan + ticks; t++) {
		for (uint64_t u = 0; u < m->npages; u++) {
			unsigned p = m->period[u];

			/* interval 1 is the fill: every unit is touched */
			if (t == 1 || (p && t % p == m->offset[u])) {
				model_touch(m, u);
				m->last[u] = t;
			}
		}
	}
	t = m->scan + ticks;
	g_assert_true(aging_scan_begin(m->a, ticks));
	aging_update(m->a, BASE, m->bm, m->npages);
	memset(m->bm, 0, (m->npages + BPL - 1) / BPL * sizeof(long));
	m->phase = (m->phase + 1) % m->stride;
	for (uint64_t u = 0; u < m->npages; u++)
		m->armed[u] |= model_in_phase(m, u, m->phase);
	aging_sample_armed(m->a, m->phase);
	aging_scan_end(m->a, &cost);
	m->scan = t;
}

static void model_scan(Model *m)
{
	model_scan_ticks(m, 1);
}

/* True bytes idle for at least @k scans now. */
static uint64_t model_truth(const Model *m, uint64_t k)
{
	uint64_t n = 0;

	for (uint64_t u = 0; u < m->npages; u++)
		n += m->scan - m->last[u] >= k;
	return n * PG;
}

/* Random periods: @hot share hot, some warm (period 2..12), the rest cold. */
static void model_random(Model *m, GRand *r, double hot, double warm)
{
	for (uint64_t u = 0; u < m->npages; u++) {
		double x = g_rand_double(r);

		m->period[u] = x < hot	      ? 1 :
			       x < hot + warm ? g_rand_int_range(r, 2, 13) :
						0;
		m->offset[u] =
			m->period[u] ? g_rand_int_range(r, 0, m->period[u]) : 0;
	}
}

/* Units [@lo, @hi) hot, the rest never touched after the fill. */
static void model_hot_range(Model *m, uint64_t lo, uint64_t hi)
{
	for (uint64_t u = 0; u < m->npages; u++) {
		m->period[u] = u >= lo && u < hi;
		m->offset[u] = 0;
	}
}

/*
 * Like model_random(), but the class is drawn for runs of pages of mean
 * length @run (geometric), as guests lay data out: neighbouring pages
 * are alike, so blocks of pages are worth fewer independent samples.
 */
static void model_random_runs(Model *m, GRand *r, double hot, double warm,
			      unsigned run)
{
	unsigned period = 0, offset = 0;

	for (uint64_t u = 0; u < m->npages; u++) {
		if (!u || g_rand_double(r) < 1.0 / run) {
			double x = g_rand_double(r);

			period = x < hot	? 1 :
				 x < hot + warm ? g_rand_int_range(r, 2, 13) :
						  0;
			offset = period ? g_rand_int_range(r, 0, period) : 0;
		}
		m->period[u] = period;
		m->offset[u] = offset;
	}
}

typedef struct Trials {
	unsigned checks, inside, wide, close;
	double worst;
} Trials;

/*
 * @trials trials on 1 GiB at N = 64 (a cohort of 4096 pages in blocks of
 * @block), hot 5-30%, warm 0-20%, laid out page by page (@run 0) or in
 * runs; threshold K = 5 scans queried after K + 2 and K + 9 scans.
 */
static void run_trials(unsigned trials, unsigned block, unsigned run, Trials *t)
{
	const unsigned k = 5;

	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < trials; i++) {
		g_autoptr(GRand) r = g_rand_new_with_seed(1000 + i);
		double hot = g_rand_double_range(r, 0.05, 0.3);
		double warm = g_rand_double_range(r, 0, 0.2);
		Model m;

		model_init_block(&m, 1 << 18, 64, block);
		if (run)
			model_random_runs(&m, r, hot, warm, run);
		else
			model_random(&m, r, hot, warm);
		for (unsigned s = 0; s < k + 9; s++) {
			AgingStats st;
			uint64_t truth;
			double dev;

			model_scan(&m);
			if (m.scan != k + 2 && m.scan != k + 9)
				continue;
			aging_query(m.a, k * IVAL, &st);
			truth = model_truth(&m, k);
			g_assert_true(st.cold_estimated);
			g_assert_cmpuint(st.cold_scans, ==, k);
			g_assert_cmpuint(st.cold_error, >, 0);
			dev = fabs((double)st.cold_bytes - (double)truth);
			t->worst = MAX(t->worst, dev / truth);
			t->checks++;
			t->inside += dev <= st.cold_error;
			t->wide += dev > st.cold_error / 4.0;
			t->close += dev <= 0.05 * truth;
		}
		model_free(&m);
	}
	g_test_message("block %u, runs of %u: %u checks, %u inside the "
		       "stated error, %u beyond a quarter of it, %u within "
		       "5%% (worst %.2f%%)",
		       block, run, t->checks, t->inside, t->wide, t->close,
		       100 * t->worst);
	g_assert_cmpuint(t->checks, ==, 2 * trials);
	/* a 95% interval: >= 90% inside */
	g_assert_cmpuint(t->inside, >=, t->checks * 9 / 10);
	/* not overstated: |Z| > 0.49 has probability 0.62 */
	g_assert_cmpuint(t->wide, >=, t->checks * 3 / 10);
}

/*
 * Single pages, random layout: the hard case for a 1/64 sample (a
 * contiguous hot set is counted almost exactly): 5% of a cold share of
 * 50% or more is at least 3.2 standard errors, so nearly every check
 * must be that close.
 */
static void test_accuracy(void)
{
	Trials t;

	run_trials(100, 1, 0, &t);
	g_assert_cmpuint(t.close, >=, t.checks * 98 / 100);
}

/*
 * Blocks of 32 pages (what the backend picks for 1 GiB at N = 64): pages
 * laid out one by one are as well estimated as single pages; pages alike
 * in runs of 256 make the blocks count for less, and the stated error
 * grows with them (still honest: >= 90% inside).
 */
static void test_accuracy_blocks(void)
{
	Trials t;

	run_trials(60, 32, 0, &t);
	g_assert_cmpuint(t.close, >=, t.checks * 98 / 100);
	run_trials(60, 32, 256, &t);
	run_trials(60, 32, 16, &t);
}

/*
 * A contiguous hot set smaller than the gap between the blocks of a
 * cohort (4 MiB against 8 MiB: blocks of 32 pages, N = 64, 1 GiB) is
 * missed by about half the cohorts, which then see only idle pages: the
 * stated error must still hold the truth (before the block-level floor,
 * a missed hot set stated +-0.7 MiB for a 4 MiB miss).
 */
static void test_accuracy_missed(void)
{
	const unsigned k = 5, trials = 60;
	const uint64_t n = 1 << 18, hot = 1024;
	unsigned inside = 0, missed = 0;

	for (unsigned i = 0; i < trials; i++) {
		g_autoptr(GRand) r = g_rand_new_with_seed(3000 + i);
		uint64_t at = g_rand_int_range(r, 0, n - hot);
		uint64_t truth;
		AgingStats st;
		Model m;

		model_init_block(&m, n, 64, 32);
		model_hot_range(&m, at, at + hot);
		for (unsigned s = 0; s < k + 2; s++)
			model_scan(&m);
		aging_query(m.a, k * IVAL, &st);
		truth = model_truth(&m, k);
		g_assert_true(st.cold_estimated);
		missed += st.cold_bytes == st.total_bytes;
		inside += fabs((double)st.cold_bytes - (double)truth) <=
			  st.cold_error;
		model_free(&m);
	}
	g_test_message("%u trials, the hot set missed in %u, %u inside the "
		       "stated error",
		       trials, missed, inside);
	g_assert_cmpuint(missed, >, 0);
	g_assert_cmpuint(inside, >=, trials * 9 / 10);
}

/*
 * The claim: at every scan no proven age exceeds the true idle time, and
 * for a page idle a whole rotation it lags it by less than one rotation
 * (N scans).  Random periods, single pages and blocks, late scans mixed
 * in.
 */
static void test_proof(void)
{
	static const unsigned blocks[] = { 1, 4 };
	uint64_t over = 0, lag = 0, checked = 0;

	for (unsigned bi = 0; bi < G_N_ELEMENTS(blocks); bi++) {
		g_autoptr(GRand) r = g_rand_new_with_seed(77 + bi);
		const uint64_t n = 4096;
		Model m;

		model_init_block(&m, n, 16, blocks[bi]);
		model_random(&m, r, 0.1, 0.4);
		for (unsigned s = 0; s < 120; s++) {
			g_autoptr(AgingAges) ex = NULL;

			model_scan_ticks(&m, s % 17 == 16 ? 3 : 1);
			ex = ages_export(m.a, BASE);
			for (uint64_t u = 0; u < n; u++) {
				uint64_t age = ages_at(m.a, ex, BASE + u * PG);
				uint64_t truth = m.scan - m.last[u];

				checked++;
				over += age > truth;
				/* late scans stretch a rotation by 2 each */
				lag += truth >= 16 + 6 && age + 16 + 6 <= truth;
			}
		}
		model_free(&m);
	}
	g_test_message("%" G_GUINT64_FORMAT " checks: %" G_GUINT64_FORMAT
		       " over the truth, %" G_GUINT64_FORMAT
		       " lagging a rotation or more",
		       checked, over, lag);
	g_assert_cmpuint(over, ==, 0);
	g_assert_cmpuint(lag, ==, 0);
}

/*
 * A contiguous hot set of 1/8 moves right after scan 20.  Threshold K = 5
 * scans: until K scans after the move the old set still counts as hot (it
 * was touched after the arming of the cohort that answers), from K on it
 * is cold; the new set is hot at once.  (A move in the middle of an
 * interval, as in a real guest, takes one scan more: K + 1.)  The estimate follows the truth to
 * within its error at every scan.
 */
static void test_phase_change(void)
{
	const unsigned k = 5, move = 20;
	const uint64_t n = 1 << 16, hot = n / 8;
	Model m;

	model_init(&m, n, 64);
	model_hot_range(&m, 0, hot);
	for (unsigned s = 1; s <= move + k + 3; s++) {
		uint64_t truth;
		AgingStats st;
		double dev;

		if (s == move + 1) /* the interval after scan @move */
			model_hot_range(&m, n / 2, n / 2 + hot);
		model_scan(&m);
		aging_query(m.a, k * IVAL, &st);
		truth = model_truth(&m, k);
		dev = fabs((double)st.cold_bytes - (double)truth);
		g_test_message("scan %u: cold %" G_GUINT64_FORMAT
			       " +- %" G_GUINT64_FORMAT
			       " truth %" G_GUINT64_FORMAT,
			       s, st.cold_bytes, st.cold_error, truth);
		if (s < k) {
			g_assert_false(st.cold_estimated);
			continue;
		}
		g_assert_true(st.cold_estimated);
		g_assert_cmpfloat(dev, <=, st.cold_error);
		g_assert_cmpfloat(dev, <=, 0.02 * truth);
		if (s > move && s < move + k)
			g_assert_cmpuint(truth, ==, (n - 2 * hot) * PG);
		else if (s >= move + k)
			g_assert_cmpuint(truth, ==, (n - hot) * PG);
	}
	model_free(&m);
}

/*
 * What the estimate does not answer: thresholds of 0 or N scans or more
 * come from the ages; so does everything before a cohort has been armed
 * K scans ago, and everything without sampling.
 */
static void test_fallback(void)
{
	const uint64_t n = 4096;
	AgingStats st;
	Model m;

	model_init(&m, n, 8);
	model_hot_range(&m, 0, n / 4);
	for (unsigned s = 0; s < 3; s++)
		model_scan(&m);
	aging_query(m.a, 4 * IVAL, &st);
	g_assert_false(st.cold_estimated);	/* armed 3 scans ago at most */
	g_assert_cmpuint(st.cold_bytes, ==, 0); /* ages start at 0 */
	/* cohort 0 was armed before the fill: every page is 2 scans idle */
	aging_query(m.a, 3 * IVAL, &st);
	g_assert_true(st.cold_estimated);
	g_assert_cmpuint(st.cold_bytes, ==, 0);
	aging_query(m.a, 2 * IVAL, &st);
	g_assert_true(st.cold_estimated);
	g_assert_cmpuint(st.cold_bytes, ==, 3 * n / 4 * PG);
	for (unsigned s = 0; s < 20; s++)
		model_scan(&m);
	/* 8 scans: every page was re-armed, ages answer (unestimated) */
	aging_query(m.a, 8 * IVAL, &st);
	g_assert_false(st.cold_estimated);
	g_assert_cmpuint(st.cold_error, ==, 0);
	g_assert_cmpuint(st.cold_bytes, ==, 3 * n / 4 * PG);
	aging_query(m.a, 0, &st);
	g_assert_false(st.cold_estimated);
	g_assert_cmpuint(st.cold_bytes, ==, n * PG);
	aging_query(m.a, 7 * IVAL, &st);
	g_assert_true(st.cold_estimated);
	/* no sampling any more: ages */
	aging_set_sample(m.a, 1, 1, false);
	aging_query(m.a, 7 * IVAL, &st);
	g_assert_false(st.cold_estimated);
	for (unsigned b = 0; b < AGING_HIST_BINS; b++)
		g_assert_false(st.hist_estimated[b]);
	model_free(&m);
}

/*
 * The histogram is built from the same estimates: its cumulative bytes
 * from each edge below N intervals equal the cold bytes at that edge, bins
 * touching such an edge carry an error, and the bins add up to the total.
 */
static void test_histogram(void)
{
	g_autoptr(GRand) r = g_rand_new_with_seed(7);
	const uint64_t n = 1 << 16;
	uint64_t sum = 0, cum = 0;
	AgingStats st, c;
	Model m;

	model_init(&m, n, 64);
	model_random(&m, r, 0.2, 0.3);
	for (unsigned s = 0; s < 40; s++)
		model_scan(&m);
	aging_query(m.a, 1000, &st);
	for (unsigned b = 0; b < AGING_HIST_BINS; b++)
		sum += st.hist_bytes[b];
	g_assert_cmpuint(sum, ==, st.total_bytes);
	for (int b = AGING_HIST_BINS - 1; b >= 1; b--) {
		uint64_t edge = aging_hist_edge_ms(b);

		cum += st.hist_bytes[b];
		aging_query(m.a, edge, &c);
		g_assert_cmpint(c.cold_estimated, ==, edge < 64 * IVAL);
		if (c.cold_estimated) {
			g_assert_cmpuint(cum, <=, c.cold_bytes);
			g_assert_true(st.hist_estimated[b]);
			g_assert_true(st.hist_estimated[b - 1]);
			g_assert_cmpuint(st.hist_error[b], >=, c.cold_error);
		} else if (b + 1 < AGING_HIST_BINS &&
			   aging_hist_edge_ms(b + 1) >= 64 * IVAL) {
			g_assert_false(st.hist_estimated[b]);
		}
	}
	/* the 100 ms edge is never clamped by a lower one */
	aging_query(m.a, 100, &c);
	g_assert_cmpuint(st.total_bytes - st.hist_bytes[0], ==, c.cold_bytes);
	model_free(&m);
}

/*
 * A page touched only in the interval just before its cohort is re-armed
 * has its fault harvested by the arming scan itself: K scans later it is
 * idle for exactly K scans and must count as cold.
 */
static void test_boundary(void)
{
	const uint64_t n = 64;
	AgingStats st;
	Model m;

	model_init(&m, n, 4);
	for (unsigned s = 0; s < 8; s++)
		model_scan(&m);
	for (uint64_t u = 0; u < n; u++)
		model_touch(&m, u); /* a one-off burst in interval 9 */
	model_scan(&m);		    /* harvests it and arms cohort 1 */
	model_scan(&m);
	model_scan(&m);
	aging_query(m.a, 2 * IVAL, &st);
	g_assert_true(st.cold_estimated);
	g_assert_cmpuint(st.cold_scans, ==, 2);
	g_assert_cmpuint(model_truth(&m, 2), ==, n * PG);
	g_assert_cmpuint(st.cold_bytes, ==, n * PG);
	aging_query(m.a, 1 * IVAL, &st);
	g_assert_cmpuint(st.cold_bytes, ==, n * PG);
	model_free(&m);
}

/*
 * Late scans (ticks > 1, as after an overrun) leave no cohort armed
 * exactly K intervals ago: the youngest one armed earlier answers, for a
 * slightly higher threshold, and says which.
 */
static void test_ticks(void)
{
	const uint64_t n = 4096;
	AgingStats st;
	Model m;

	model_init(&m, n, 8);
	model_hot_range(&m, 0, n / 4);
	for (unsigned s = 0; s < 10; s++)
		model_scan(&m);
	for (unsigned s = 0; s < 3; s++)
		model_scan_ticks(&m, 2);
	/* cohorts armed 0, 2, 4, 6, 7, 8, ... intervals ago */
	aging_query(m.a, 3 * IVAL, &st);
	g_assert_true(st.cold_estimated);
	g_assert_cmpuint(st.cold_scans, ==, 4);
	g_assert_cmpuint(st.cold_bytes, ==, model_truth(&m, 4));
	g_assert_cmpuint(st.cold_bytes, ==, 3 * n / 4 * PG);
	aging_query(m.a, 7 * IVAL, &st);
	g_assert_cmpuint(st.cold_scans, ==, 7);
	model_free(&m);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/aging-sample/accuracy", test_accuracy);
	g_test_add_func("/aging-sample/accuracy-blocks", test_accuracy_blocks);
	g_test_add_func("/aging-sample/accuracy-missed", test_accuracy_missed);
	g_test_add_func("/aging-sample/proof", test_proof);
	g_test_add_func("/aging-sample/phase-change", test_phase_change);
	g_test_add_func("/aging-sample/fallback", test_fallback);
	g_test_add_func("/aging-sample/boundary", test_boundary);
	g_test_add_func("/aging-sample/ticks", test_ticks);
	g_test_add_func("/aging-sample/histogram", test_histogram);
	return g_test_run();
}
