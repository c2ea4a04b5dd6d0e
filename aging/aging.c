/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The aging core: implicit per-page ages (last-access scan numbers), the
 * age histogram and the harvest thread.  See include/aging/aging.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aging/aging.h"
#include "util/error.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define AGING_NEVER   UINT64_MAX /* a phase not armed yet */
#define AGING_Z95     1.96	 /* two-sided 95% normal quantile */

typedef struct AgingRange {
	uint64_t gpa;
	uint64_t size;
	uint64_t page_size;
	unsigned unit_shift; /* log2(page_size / 4 KiB) */
	uint64_t nr_units;
	uint16_t *last; /* last-access scan number per unit */
} AgingRange;

struct Aging {
	char *name;
	GMutex lock; /* protects everything below */
	uint64_t interval_ms;
	uint64_t now; /* scan number (intervals since creation) */
	uint64_t scans;
	gint skipped;	     /* atomic: scans skipped while busy */
	guint pending_ticks; /* atomic: intervals of skipped scans */
	GArray *ranges;	     /* AgingRange, sorted by gpa */
	AgingCoverage coverage;
	AgingCost last_cost;
	uint64_t scan_core_ns, scan_written; /* of the scan in progress */
	unsigned stride;    /* sampling stride; 1: every unit every scan */
	uint64_t *armed_at; /* per phase: @now at its last arming */
};

/* An estimate of the bytes idle for at least @scans scans. */
typedef struct AgingEstimate {
	int cohort; /* phase it came from, -1: none */
	uint64_t bytes, error, scans;
} AgingEstimate;

Aging *aging_new(const char *name, RamList *ram, HostMemBackend *backend,
		 uint64_t interval_ms, const AgingCoverage *cov, GError **errp)
{
	Aging *a = g_new0(Aging, 1);
	RamBank *b;

	a->name = g_strdup(name);
	g_mutex_init(&a->lock);
	a->interval_ms = interval_ms ? interval_ms : 1;
	a->stride = 1;
	a->coverage = *cov;
	a->ranges = g_array_new(false, true, sizeof(AgingRange));
	if (!ram)
		return a;
	ram_for_each_bank(ram, b) {
		if (b->type != RAM_BANK_RAM ||
		    (backend && b->backend != backend))
			continue;
		if (!aging_add_range(a, b->gpa, b->size, b->page_size, errp)) {
			aging_free(a);
			return NULL;
		}
	}
	return a;
}

void aging_free(Aging *a)
{
	if (!a)
		return;
	for (guint i = 0; i < a->ranges->len; i++)
		g_free(g_array_index(a->ranges, AgingRange, i).last);
	g_array_free(a->ranges, true);
	g_free(a->armed_at);
	g_mutex_clear(&a->lock);
	g_free(a->name);
	g_free(a);
}

void aging_set_interval(Aging *a, uint64_t interval_ms)
{
	g_mutex_lock(&a->lock);
	a->interval_ms = interval_ms ? interval_ms : 1;
	g_mutex_unlock(&a->lock);
}

void aging_set_coverage(Aging *a, const AgingCoverage *cov)
{
	g_mutex_lock(&a->lock);
	a->coverage = *cov;
	g_mutex_unlock(&a->lock);
}

void aging_set_sample(Aging *a, unsigned stride, unsigned armed)
{
	g_mutex_lock(&a->lock);
	g_clear_pointer(&a->armed_at, g_free);
	a->stride = MAX(stride, 1);
	if (a->stride > 1) {
		a->armed_at = g_new(uint64_t, a->stride);
		for (unsigned c = 0; c < a->stride; c++)
			a->armed_at[c] = AGING_NEVER;
		a->armed_at[armed % a->stride] = a->now;
	}
	g_mutex_unlock(&a->lock);
}

/* Lock held (between aging_scan_begin() and aging_scan_end()). */
void aging_sample_armed(Aging *a, unsigned phase)
{
	if (a->stride > 1)
		a->armed_at[phase % a->stride] = a->now;
}

const char *aging_name(Aging *a)
{
	return a->name;
}

/* Setup only (before scans start): no lock. */
bool aging_add_range(Aging *a, uint64_t gpa, uint64_t size, uint64_t page_size,
		     GError **errp)
{
	AgingRange r = { gpa, size, page_size };
	guint i;

	if (page_size < (1u << AGING_PAGE_SHIFT) ||
	    (page_size & (page_size - 1)) || !size || size % page_size ||
	    gpa % page_size) {
		error_setg(errp,
			   "%s: range 0x%" G_GINT64_MODIFIER
			   "x+0x%" G_GINT64_MODIFIER
			   "x is not aligned to its page size %" G_GUINT64_FORMAT,
			   a->name, gpa, size, page_size);
		return false;
	}
	r.unit_shift = __builtin_ctzll(page_size) - AGING_PAGE_SHIFT;
	r.nr_units = size / page_size;
	r.last = g_try_new(uint16_t, r.nr_units);
	if (!r.last) {
		error_setg(errp,
			   "%s: out of memory for %" G_GUINT64_FORMAT
			   " page ages",
			   a->name, r.nr_units);
		return false;
	}
	/* Age 0 everywhere: nothing is called cold before it was watched. */
	for (uint64_t u = 0; u < r.nr_units; u++)
		r.last[u] = (uint16_t)a->now;
	for (i = 0; i < a->ranges->len; i++) {
		if (g_array_index(a->ranges, AgingRange, i).gpa > gpa)
			break;
	}
	g_array_insert_val(a->ranges, i, r);
	return true;
}

static inline unsigned aging_age(const Aging *a, uint16_t last)
{
	unsigned age = (uint16_t)((uint16_t)a->now - last);

	return MIN(age, AGING_AGE_MAX);
}

/* Clamp every age to AGING_AGE_MAX so none can wrap.  Lock held. */
static void aging_sweep(Aging *a)
{
	uint16_t floor = (uint16_t)(a->now - AGING_AGE_MAX);

	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		for (uint64_t u = 0; u < r->nr_units; u++) {
			if ((uint16_t)((uint16_t)a->now - r->last[u]) >
			    AGING_AGE_MAX)
				r->last[u] = floor;
		}
	}
}

bool aging_scan_begin(Aging *a, unsigned ticks)
{
	uint64_t old;

	if (!g_mutex_trylock(&a->lock)) {
		/* Atomics: we do not hold the lock here. */
		g_atomic_int_inc(&a->skipped);
		g_atomic_int_add((gint *)&a->pending_ticks, ticks);
		return false;
	}
	ticks += g_atomic_int_and(&a->pending_ticks, 0);
	ticks = CLAMP(ticks, 1, AGING_SWEEP_SCANS);
	old = a->now;
	a->now += ticks;
	if (old / AGING_SWEEP_SCANS != a->now / AGING_SWEEP_SCANS)
		aging_sweep(a);
	a->scan_core_ns = 0;
	a->scan_written = 0;
	return true;
}

/* Set bits of @bm[0..nbits) into the units of @r from @first.  Lock held. */
static uint64_t aging_mark(Aging *a, AgingRange *r, uint64_t first,
			   const unsigned long *bm, uint64_t nbits)
{
	uint16_t now = (uint16_t)a->now;
	uint64_t nwords = (nbits + BITS_PER_LONG - 1) / BITS_PER_LONG;
	uint64_t written = 0, next = 0;

	for (uint64_t w = 0; w < nwords; w++) {
		unsigned long word = bm[w];

		while (word) {
			uint64_t bit = w * BITS_PER_LONG + __builtin_ctzl(word);
			uint64_t unit = (first + bit) >> r->unit_shift;

			word &= word - 1;
			if (bit >= nbits)
				break;
			/* One write per huge page, however many bits. */
			if (written && unit < next)
				continue;
			r->last[unit] = now;
			next = unit + 1;
			written++;
		}
	}
	return written;
}

uint64_t aging_update(Aging *a, uint64_t gpa, const unsigned long *bitmap,
		      uint64_t npages)
{
	gint64 t0 = g_get_monotonic_time();
	uint64_t written = 0;
	uint64_t end = gpa + (npages << AGING_PAGE_SHIFT);

	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);
		uint64_t lo = MAX(gpa, r->gpa), hi = MIN(end, r->gpa + r->size);
		uint64_t skip;

		if (lo >= hi)
			continue;
		/* Only whole-word starts keep the walk simple and cheap. */
		skip = (lo - gpa) >> AGING_PAGE_SHIFT;
		if (skip % BITS_PER_LONG) {
			g_warning("aging %s: unaligned update at 0x%" PRIx64,
				  a->name, lo);
			continue;
		}
		written += aging_mark(a, r, (lo - r->gpa) >> AGING_PAGE_SHIFT,
				      bitmap + skip / BITS_PER_LONG,
				      (hi - lo) >> AGING_PAGE_SHIFT);
	}
	a->scan_written += written;
	a->scan_core_ns += (g_get_monotonic_time() - t0) * 1000;
	return written;
}

bool aging_covers(Aging *a, uint64_t gpa, uint64_t npages)
{
	uint64_t end = gpa + (npages << AGING_PAGE_SHIFT);

	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		if (gpa < r->gpa + r->size && r->gpa < end)
			return true;
	}
	return false;
}

void aging_scan_end(Aging *a, const AgingCost *cost)
{
	a->last_cost = *cost;
	a->last_cost.core_ns = a->scan_core_ns;
	a->last_cost.written = a->scan_written;
	a->scans++;
	g_mutex_unlock(&a->lock);
}

uint64_t aging_hist_edge_ms(unsigned bin)
{
	if (bin == 0)
		return 0;
	return (uint64_t)AGING_HIST_BASE_MS << (bin - 1);
}

unsigned aging_hist_bin(uint64_t ms)
{
	unsigned bin = 0;

	while (bin + 1 < AGING_HIST_BINS && ms >= aging_hist_edge_ms(bin + 1))
		bin++;
	return bin;
}

/* Scans a threshold of @ms is: ceil(@ms / interval).  Lock held. */
static uint64_t aging_ms_to_scans(const Aging *a, uint64_t ms)
{
	return ms / a->interval_ms + (ms % a->interval_ms != 0);
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

/*
 * Scale cohort @c's untouched share to @total bytes, with the 95%
 * half-width of a 1/stride sample without replacement.  Walks the
 * cohort only (units / stride).  Lock held.
 */
static void aging_estimate(const Aging *a, int c, uint64_t total,
			   AgingEstimate *e)
{
	uint64_t min_age = a->now - a->armed_at[c];
	uint64_t n = 0, x = 0, nb = 0, xb = 0, units = 0;
	double pt, var;

	for (guint i = 0; i < a->ranges->len; i++) {
		const AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		units += r->nr_units;
		for (uint64_t u = c; u < r->nr_units; u += a->stride) {
			n++;
			nb += r->page_size;
			if (aging_age(a, r->last[u]) >= min_age) {
				x++;
				xb += r->page_size;
			}
		}
	}
	e->cohort = n ? c : -1;
	if (!n)
		return;
	e->scans = min_age;
	e->bytes = (uint64_t)llround((double)xb / nb * total);
	pt = (x + 2.0) / (n + 4.0);
	var = pt * (1 - pt) / n * MAX(1.0 - (double)n / units, 0.0);
	e->error = (uint64_t)ceil(AGING_Z95 * sqrt(var) * total);
}

/* The estimate for @ms, reusing @prev if it is the same cohort. */
static void aging_estimate_ms(const Aging *a, uint64_t ms, uint64_t total,
			      const AgingEstimate *prev, AgingEstimate *e)
{
	int c = aging_cohort(a, aging_ms_to_scans(a, ms));

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

void aging_query(Aging *a, uint64_t cold_ms, AgingStats *st)
{
	memset(st, 0, sizeof(*st));
	g_mutex_lock(&a->lock);
	st->interval_ms = a->interval_ms;
	st->scans = a->scans;
	st->skipped = g_atomic_int_get(&a->skipped);
	st->cold_ms = cold_ms;
	st->last_cost = a->last_cost;
	st->coverage = a->coverage;
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		st->total_bytes += r->size;
		for (uint64_t u = 0; u < r->nr_units; u++) {
			unsigned age = aging_age(a, r->last[u]);
			uint64_t ms = (uint64_t)age * a->interval_ms;

			if (age == AGING_AGE_MAX)
				ms = UINT64_MAX;
			st->hist_bytes[aging_hist_bin(ms)] += r->page_size;
			if (ms >= cold_ms)
				st->cold_bytes += r->page_size;
		}
	}
	if (a->stride > 1)
		aging_query_sampled(a, st);
	g_mutex_unlock(&a->lock);
}

int aging_page_age(Aging *a, uint64_t gpa)
{
	int age = -1;

	g_mutex_lock(&a->lock);
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			age = aging_age(a,
					r->last[(gpa - r->gpa) / r->page_size]);
			break;
		}
	}
	g_mutex_unlock(&a->lock);
	return age;
}

/* Reclaim support: see the comment above aging_select_cold() in aging.h */

uint64_t aging_interval_ms(Aging *a)
{
	uint64_t ms;

	g_mutex_lock(&a->lock);
	ms = a->interval_ms;
	g_mutex_unlock(&a->lock);
	return ms;
}

uint64_t aging_now(Aging *a)
{
	uint64_t now;

	g_mutex_lock(&a->lock);
	now = a->now;
	g_mutex_unlock(&a->lock);
	return now;
}

/* Highest age A with bytes(age >= A) >= @target, and how much of age A
 * to take (*@budget); A = @min_age with everything when too few.  Lock
 * held. */
static unsigned aging_cutoff(Aging *a, unsigned min_age, uint64_t target,
			     uint64_t *budget)
{
	g_autofree uint64_t *hist = g_new0(uint64_t, AGING_AGE_MAX + 1);
	uint64_t sum = 0;
	unsigned age;

	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		for (uint64_t u = 0; u < r->nr_units; u++)
			hist[aging_age(a, r->last[u])] += r->page_size;
	}
	*budget = UINT64_MAX;
	for (age = AGING_AGE_MAX; age > min_age; age--) {
		if (sum + hist[age] >= target)
			break;
		sum += hist[age];
	}
	if (sum + hist[age] >= target)
		*budget = target - sum;
	return age;
}

static gint aging_run_cmp(gconstpointer pa, gconstpointer pb)
{
	const AgingRun *x = pa, *y = pb;

	if (x->min_age != y->min_age)
		return x->min_age > y->min_age ? -1 : 1;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* Append page [gpa, gpa + size) of age @age to @runs, merging.  */
static void aging_run_add(GArray *runs, uint64_t gpa, uint64_t size,
			  unsigned age, bool contiguous)
{
	AgingRun *last = runs->len ?
				 &g_array_index(runs, AgingRun, runs->len - 1) :
				 NULL;
	AgingRun run = { gpa, size, age, age };

	if (contiguous && last && last->gpa + last->size == gpa) {
		last->size += size;
		last->min_age = MIN(last->min_age, age);
		last->max_age = MAX(last->max_age, age);
		return;
	}
	g_array_append_val(runs, run);
}

GArray *aging_select_cold(Aging *a, unsigned min_age, uint64_t target_bytes,
			  uint64_t *scan)
{
	GArray *runs = g_array_new(false, false, sizeof(AgingRun));
	uint64_t budget = UINT64_MAX;
	unsigned cutoff = min_age;

	if (min_age > AGING_AGE_MAX) {
		*scan = aging_now(a);
		return runs;
	}
	g_mutex_lock(&a->lock);
	*scan = a->now;
	if (target_bytes)
		cutoff = aging_cutoff(a, min_age, target_bytes, &budget);
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);
		bool contiguous = false;

		for (uint64_t u = 0; u < r->nr_units; u++) {
			unsigned age = aging_age(a, r->last[u]);
			bool take = age > cutoff;

			if (age == cutoff && budget) {
				take = true;
				budget = budget > r->page_size ?
						 budget - r->page_size :
						 0;
			}
			if (take)
				aging_run_add(runs, r->gpa + u * r->page_size,
					      r->page_size, age, contiguous);
			contiguous = take;
		}
	}
	g_mutex_unlock(&a->lock);
	g_array_sort(runs, aging_run_cmp);
	return runs;
}

/* The range holding @gpa, or NULL.  Lock held. */
static AgingRange *aging_range_of(Aging *a, uint64_t gpa)
{
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

/* Age in scans of the 4 KiB page at @gpa, or -1.  Lock held. */
static int aging_age_at(Aging *a, AgingRange **hint, uint64_t gpa)
{
	AgingRange *r = *hint;

	if (!r || gpa < r->gpa || gpa - r->gpa >= r->size)
		r = *hint = aging_range_of(a, gpa);
	if (!r)
		return -1;
	return aging_age(a, r->last[(gpa - r->gpa) / r->page_size]);
}

uint64_t aging_run_accessed_since(Aging *a, uint64_t gpa, uint64_t size,
				  uint64_t scan, unsigned long *accessed)
{
	uint64_t npages = size >> AGING_PAGE_SHIFT, count = 0, limit;
	AgingRange *hint = NULL;

	memset(accessed, 0,
	       (npages + BITS_PER_LONG - 1) / BITS_PER_LONG *
		       sizeof(unsigned long));
	g_mutex_lock(&a->lock);
	limit = a->now > scan ? a->now - scan : 0;
	for (uint64_t i = 0; i < npages; i++) {
		int age = aging_age_at(a, &hint, gpa + (i << AGING_PAGE_SHIFT));

		if (age >= 0 && (uint64_t)age >= limit && limit < AGING_AGE_MAX)
			continue;
		accessed[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
		count++;
	}
	g_mutex_unlock(&a->lock);
	return count;
}

void aging_run_ages(Aging *a, uint64_t gpa, uint64_t npages, uint16_t *ages,
		    uint64_t *now)
{
	AgingRange *hint = NULL;

	g_mutex_lock(&a->lock);
	*now = a->now;
	for (uint64_t i = 0; i < npages; i++) {
		int age = aging_age_at(a, &hint, gpa + (i << AGING_PAGE_SHIFT));

		ages[i] = age < 0 ? UINT16_MAX : (uint16_t)age;
	}
	g_mutex_unlock(&a->lock);
}

uint64_t aging_bytes_accessed_within(Aging *a, uint64_t ms)
{
	uint64_t bytes = 0;

	g_mutex_lock(&a->lock);
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		for (uint64_t u = 0; u < r->nr_units; u++) {
			if ((uint64_t)aging_age(a, r->last[u]) *
				    a->interval_ms <
			    ms)
				bytes += r->page_size;
		}
	}
	g_mutex_unlock(&a->lock);
	return bytes;
}
