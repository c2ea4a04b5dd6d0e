/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Queries of the aging core: the histogram of proven ages, cold bytes,
 * and the sampled estimates below the stride with their error.  See
 * include/aging/aging.h.  Every function takes the Aging's lock.
 */
#include <math.h>
#include <string.h>

#include "aging-int.h"

#define AGING_Z95 1.96 /* two-sided 95% normal quantile */

/* An estimate of the bytes idle for at least @scans scans. */
typedef struct AgingEstimate {
	int cohort; /* phase it came from, -1: none */
	uint64_t bytes, error, scans;
} AgingEstimate;

/* The clusters (blocks) of one cohort, in address order. */
typedef struct AgingCluster {
	GArray *x, *b;	      /* double: idle bytes and bytes per block */
	uint64_t units, idle; /* units, of which idle */
	double sx, sb;	      /* sums of x and b */
} AgingCluster;

uint64_t aging_last_scan(Aging *a, AgingCost *cost)
{
	uint64_t scans;

	g_mutex_lock(&a->lock);
	scans = a->scans;
	*cost = a->last_cost;
	g_mutex_unlock(&a->lock);
	return scans;
}

uint64_t aging_hist_edge_ms(unsigned bin)
{
	if (bin == 0)
		return 0;
	return (uint64_t)AGING_HIST_BASE_MS << (bin - 1);
}

/*
 * The youngest cohort armed at least @k scans ago, if 0 < @k < stride, or
 * -1.  Its untouched units are idle for at least its arming age.  Lock
 * held.
 */
static int aging_cohort(const Aging *a, uint64_t k)
{
	uint64_t best_age = UINT64_MAX;
	int best = -1;

	if (a->stride <= 1 || k == 0 || k >= a->stride)
		return -1;
	for (unsigned c = 0; c < a->stride; c++) {
		uint64_t age = a->now - a->armed_at[c];

		if (a->armed_at[c] == AGING_NEVER || age < k ||
		    age >= best_age || age > AGING_AGE_MAX)
			continue;
		best = c;
		best_age = age;
	}
	return best;
}

/* Add the blocks of cohort @c of @r to @cl.  Lock held. */
static void aging_cluster_add(const Aging *a, const AgingRange *r, int c,
			      uint64_t min_age, AgingCluster *cl)
{
	uint64_t step = (uint64_t)a->stride * a->block;

	for (uint64_t s = (uint64_t)c * a->block; s < r->nr_units; s += step) {
		uint64_t e = MIN(s + a->block, r->nr_units), idle = 0;
		double x, b = (double)(e - s) * r->page_size;

		for (uint64_t u = s; u < e; u++)
			idle += aging_seen_age(a, r, u) >= min_age;
		x = (double)idle * r->page_size;
		g_array_append_val(cl->x, x);
		g_array_append_val(cl->b, b);
		cl->units += e - s;
		cl->idle += idle;
		cl->sx += x;
		cl->sb += b;
	}
}

/*
 * Variance of the ratio @r from the clusters of @cl, a systematic sample
 * (every stride-th block): the successive-difference estimator, which
 * sees that neighbouring blocks are alike (a contiguous hot set costs
 * two differences, not a spread) and falls back to the simple-random
 * one when they are not.  @f: the sampled fraction of blocks.
 */
static double aging_cluster_var(const AgingCluster *cl, double r, double f)
{
	guint n = cl->x->len;
	double mb = cl->sb / n, d2 = 0, prev = 0;

	if (n < 2)
		return 0;
	for (guint i = 0; i < n; i++) {
		double z = g_array_index(cl->x, double, i) -
			   r * g_array_index(cl->b, double, i);

		if (i)
			d2 += (z - prev) * (z - prev);
		prev = z;
	}
	return (1.0 - f) / (n * mb * mb) * d2 / (2.0 * (n - 1));
}

/*
 * Scale cohort @c's idle share to @total bytes, with the 95% half-width
 * of a ratio estimate from a systematic sample of blocks (clusters:
 * pages near each other tend to be alike), never below the binomial one
 * of as many independent units with the (x + 2) / (n + 4) share.  A
 * sample with no hot (or no idle) page at all cannot rule out a hot (or
 * idle) set that fell between its blocks: then the floor is that of as
 * many independent blocks, about 2.8 / n of the memdev for n blocks.
 * Walks the cohort only (units / stride).  Lock held.
 */
static void aging_estimate(const Aging *a, int c, uint64_t total,
			   AgingEstimate *e)
{
	uint64_t min_age = a->now - a->armed_at[c], units = 0, clusters = 0;
	AgingCluster cl = { 0 };
	double r, var_c, pt, var_b, f_c, f_u, n;

	cl.x = g_array_new(false, false, sizeof(double));
	cl.b = g_array_new(false, false, sizeof(double));
	for (guint i = 0; i < a->ranges->len; i++) {
		const AgingRange *rg = &g_array_index(a->ranges, AgingRange, i);

		units += rg->nr_units;
		clusters += (rg->nr_units + a->block - 1) / a->block;
		aging_cluster_add(a, rg, c, min_age, &cl);
	}
	e->cohort = cl.x->len ? c : -1;
	if (cl.x->len) {
		e->scans = min_age;
		r = cl.sx / cl.sb;
		e->bytes = (uint64_t)llround(r * total);
		f_c = MIN((double)cl.x->len / clusters, 1.0);
		f_u = MIN((double)cl.units / units, 1.0);
		var_c = aging_cluster_var(&cl, r, f_c);
		if (cl.idle == cl.units || !cl.idle) {
			/* one kind only: as if each block were one unit */
			n = cl.x->len;
			pt = (cl.idle ? n + 2.0 : 2.0) / (n + 4.0);
			var_b = pt * (1 - pt) / n * (1.0 - f_c);
		} else {
			pt = (cl.idle + 2.0) / (cl.units + 4.0);
			var_b = pt * (1 - pt) / cl.units * (1.0 - f_u);
		}
		e->error = (uint64_t)ceil(AGING_Z95 * sqrt(MAX(var_c, var_b)) *
					  total);
	}
	g_array_free(cl.x, true);
	g_array_free(cl.b, true);
}

/* The estimate for @ms, reusing @prev if it is the same cohort. */
static void aging_estimate_ms(const Aging *a, uint64_t ms, uint64_t total,
			      const AgingEstimate *prev, AgingEstimate *e)
{
	int c = aging_cohort(a, aging_ms_scans(a, ms));

	if (prev && c >= 0 && prev->cohort == c) {
		*e = *prev;
		return;
	}
	e->cohort = -1;
	if (c >= 0)
		aging_estimate(a, c, total, e);
}

/*
 * Replace the histogram's cumulative counts ("idle >= bin edge") by the
 * sampled estimates where a cohort answers the edge, keep them
 * non-increasing, and difference them back into bins.  Lock held.
 */
static void aging_query_sampled(const Aging *a, AgingStats *st)
{
	uint64_t cum[AGING_HIST_BINS + 1] = { 0 };
	uint64_t err[AGING_HIST_BINS + 1] = { 0 };
	bool est[AGING_HIST_BINS + 1] = { false };
	AgingEstimate e, prev = { .cohort = -1 };

	for (int b = AGING_HIST_BINS - 1; b >= 0; b--)
		cum[b] = cum[b + 1] + st->hist_bytes[b];
	for (unsigned b = 1; b < AGING_HIST_BINS; b++) {
		aging_estimate_ms(a, aging_hist_edge_ms(b), st->total_bytes,
				  &prev, &e);
		if (e.cohort < 0)
			continue;
		cum[b] = e.bytes;
		err[b] = e.error;
		est[b] = true;
		prev = e;
	}
	for (unsigned b = 1; b < AGING_HIST_BINS; b++)
		cum[b] = MIN(cum[b], cum[b - 1]);
	for (unsigned b = 0; b < AGING_HIST_BINS; b++) {
		st->hist_bytes[b] = cum[b] - cum[b + 1];
		st->hist_estimated[b] = est[b] || est[b + 1];
		st->hist_error[b] =
			(uint64_t)ceil(sqrt((double)err[b] * err[b] +
					    (double)err[b + 1] * err[b + 1]));
	}
	aging_estimate_ms(a, st->cold_ms, st->total_bytes, NULL, &e);
	if (e.cohort >= 0) {
		st->cold_bytes = e.bytes;
		st->cold_estimated = true;
		st->cold_error = e.error;
		st->cold_scans = e.scans;
	}
}

/* Bin of each proven age 0..AGING_AGE_MAX in scans.  Lock held. */
static void aging_bin_table(const Aging *a, uint8_t *bins)
{
	uint64_t edge[AGING_HIST_BINS];
	unsigned b = 0;

	for (unsigned k = 0; k < AGING_HIST_BINS; k++)
		edge[k] = aging_ms_scans(a, aging_hist_edge_ms(k));
	for (unsigned age = 0; age <= AGING_AGE_MAX; age++) {
		while (b + 1 < AGING_HIST_BINS && age >= edge[b + 1])
			b++;
		bins[age] = b;
	}
}

void aging_query(Aging *a, uint64_t cold_ms, AgingStats *st)
{
	g_autofree uint8_t *bins = g_new(uint8_t, AGING_AGE_MAX + 1);
	uint64_t cold_k;

	memset(st, 0, sizeof(*st));
	g_mutex_lock(&a->lock);
	st->interval_ms = aging_cur_interval(a);
	st->scans = a->scans;
	st->skipped = g_atomic_int_get(&a->skipped);
	st->cold_ms = cold_ms;
	st->last_cost = a->last_cost;
	st->coverage = a->coverage;
	cold_k = aging_ms_scans(a, cold_ms);
	aging_bin_table(a, bins);
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		st->total_bytes += r->size;
		for (uint64_t u = 0; u < r->nr_units; u++) {
			unsigned age = aging_proven_age(a, r, u);

			st->hist_bytes[bins[age]] += r->page_size;
			if (age >= cold_k)
				st->proven_cold_bytes += r->page_size;
		}
	}
	st->cold_bytes = st->proven_cold_bytes;
	if (a->stride > 1)
		aging_query_sampled(a, st);
	g_mutex_unlock(&a->lock);
}
