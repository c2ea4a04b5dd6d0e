/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What reclaim asks the aging core: proven cold runs, the confirmation
 * of candidates, re-checks and ages of runs, the working set.  See the
 * comment above aging_select_cold() in include/aging/aging.h.  Every
 * function takes the Aging's lock for its walk.
 */
#include <string.h>

#include "aging-int.h"
#include "util/error.h"

uint64_t aging_interval_ms(Aging *a)
{
	uint64_t ms;

	g_mutex_lock(&a->lock);
	ms = aging_cur_interval(a);
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

unsigned aging_ms_to_scans(Aging *a, uint64_t ms)
{
	uint64_t k;

	g_mutex_lock(&a->lock);
	k = aging_ms_scans(a, ms);
	g_mutex_unlock(&a->lock);
	return k;
}

/*
 * Highest proven age A with bytes(age >= A) >= @target, and how much of
 * age A to take (*@budget); A = @min_age with everything when too few.
 * Lock held.
 */
static unsigned aging_cutoff(Aging *a, unsigned min_age, uint64_t target,
			     uint64_t *budget)
{
	g_autofree uint64_t *hist = g_new0(uint64_t, AGING_AGE_MAX + 1);
	uint64_t sum = 0;
	unsigned age;

	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		for (uint64_t u = 0; u < r->nr_units; u++)
			hist[aging_proven_age(a, r, u)] += r->page_size;
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
			unsigned age = aging_proven_age(a, r, u);
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

/* Append units [@s, @e) of @r to @runs.  */
static void aging_runs_add(GArray *runs, const AgingRange *r, uint64_t s,
			   uint64_t e)
{
	AgingRun run = { r->gpa + s * r->page_size, (e - s) * r->page_size, 0,
			 0 };

	if (runs && e > s)
		g_array_append_val(runs, run);
}

/* Arm units [@s, @e) of @r through the backend, record it.  Lock held. */
static bool aging_arm_run(Aging *a, AgingRange *r, uint64_t s, uint64_t e,
			  GError **errp)
{
	if (e <= s)
		return true;
	if (!a->arm(a->arm_opaque, r->gpa + s * r->page_size,
		    (e - s) * r->page_size, errp))
		return false;
	aging_arm_units(a, r, s, e - s);
	return true;
}

/*
 * What unit @u is: 0 proven idle @min_age scans, 1 a candidate armed
 * since its last access, 2 a candidate to arm (not seen accessed for
 * @min_seen scans), -1 neither.
 */
static int aging_classify(const Aging *a, const AgingRange *r, uint64_t u,
			  unsigned min_seen, unsigned min_age)
{
	if (aging_proven_age(a, r, u) >= min_age)
		return 0;
	if (aging_seen_age(a, r, u) < min_seen)
		return -1;
	return r->since && aging_raw(a, r->since[u]) <=
				       aging_raw(a, r->last[u]) ?
		       1 :
		       2;
}

/* Confirm the candidates of one range; see aging_confirm().  Lock held. */
static bool aging_confirm_range(Aging *a, AgingRange *r, unsigned min_seen,
				unsigned min_age, bool arm, AgingSplit *split,
				GArray *cands, uint64_t *ready, GError **errp)
{
	uint64_t cs = 0, as = 0;
	bool copen = false, aopen = false;

	for (uint64_t u = 0; u <= r->nr_units; u++) {
		int k = u < r->nr_units ?
				aging_classify(a, r, u, min_seen, min_age) :
				-1;
		bool need = k == 2 && arm && a->arm;

		if (k == 0)
			split->proven += r->page_size;
		if (k >= 1)
			split->candidate += r->page_size;
		if (k == 1) {
			split->armed += r->page_size;
			*ready =
				MAX(*ready, a->now - aging_proven_age(a, r, u) +
						    min_age);
		}
		if (k >= 1 && !copen) {
			cs = u;
			copen = true;
		} else if (k < 1 && copen) {
			aging_runs_add(cands, r, cs, u);
			copen = false;
		}
		if (need && !aopen) {
			as = u;
			aopen = true;
		} else if (!need && aopen) {
			if (!aging_arm_run(a, r, as, u, errp))
				return false;
			split->armed += (u - as) * r->page_size;
			*ready = MAX(*ready, a->now + min_age);
			aopen = false;
		}
	}
	return true;
}

bool aging_confirm(Aging *a, unsigned min_seen, unsigned min_age, bool arm,
		   AgingSplit *split, GArray *cands, uint64_t *ready,
		   GError **errp)
{
	bool ok = true;

	memset(split, 0, sizeof(*split));
	g_mutex_lock(&a->lock);
	*ready = a->now;
	for (guint i = 0; i < a->ranges->len && ok; i++)
		ok = aging_confirm_range(a,
					 &g_array_index(a->ranges, AgingRange,
							i),
					 min_seen, min_age, arm, split, cands,
					 ready, errp);
	g_mutex_unlock(&a->lock);
	return ok;
}

unsigned aging_seen_cutoff(Aging *a, uint64_t target)
{
	g_autofree uint64_t *hist = g_new0(uint64_t, AGING_AGE_MAX + 1);
	uint64_t sum = 0;
	unsigned age;

	g_mutex_lock(&a->lock);
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		for (uint64_t u = 0; u < r->nr_units; u++)
			hist[aging_seen_age(a, r, u)] += r->page_size;
	}
	g_mutex_unlock(&a->lock);
	for (age = AGING_AGE_MAX; age > 1; age--) {
		sum += hist[age];
		if (sum >= target)
			break;
	}
	return age;
}

void aging_get_coverage(Aging *a, AgingCoverage *cov, bool *sampled)
{
	g_mutex_lock(&a->lock);
	*cov = a->coverage;
	if (sampled)
		*sampled = a->stride > 1;
	g_mutex_unlock(&a->lock);
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

/* Scans since the last access seen of the 4 KiB page at @gpa, or -1. */
static int aging_seen_at(Aging *a, AgingRange **hint, uint64_t gpa)
{
	AgingRange *r = *hint;

	if (!r || gpa < r->gpa || gpa - r->gpa >= r->size)
		r = *hint = aging_range_of(a, gpa);
	if (!r)
		return -1;
	return aging_seen_age(a, r, (gpa - r->gpa) / r->page_size);
}

uint64_t aging_run_accessed_since(Aging *a, uint64_t gpa, uint64_t size,
				  uint64_t scan, unsigned long *accessed)
{
	uint64_t npages = size >> PAGE_SHIFT, count = 0, limit;
	AgingRange *hint = NULL;

	memset(accessed, 0, BITS_TO_LONGS(npages) * sizeof(unsigned long));
	g_mutex_lock(&a->lock);
	limit = a->now > scan ? a->now - scan : 0;
	for (uint64_t i = 0; i < npages; i++) {
		int age = aging_seen_at(a, &hint, gpa + (i << PAGE_SHIFT));

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
		int age = aging_seen_at(a, &hint, gpa + (i << PAGE_SHIFT));

		ages[i] = age < 0 ? UINT16_MAX : (uint16_t)age;
	}
	g_mutex_unlock(&a->lock);
}

uint64_t aging_bytes_accessed_within(Aging *a, uint64_t ms)
{
	uint64_t bytes = 0, k;

	g_mutex_lock(&a->lock);
	k = aging_ms_scans(a, ms);
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		for (uint64_t u = 0; u < r->nr_units; u++) {
			if (aging_proven_age(a, r, u) < k)
				bytes += r->page_size;
		}
	}
	g_mutex_unlock(&a->lock);
	return bytes;
}

GArray *aging_select_in(Aging *a, unsigned min_age, const GArray *in,
			uint64_t budget, uint64_t since, uint64_t *scan,
			uint64_t *hot, uint64_t *unproven)
{
	GArray *runs = g_array_new(false, false, sizeof(AgingRun));
	uint64_t left = budget ? budget : UINT64_MAX;
	AgingRange *r = NULL;

	g_mutex_lock(&a->lock);
	*scan = a->now;
	for (guint i = 0; i < in->len; i++) {
		const AgingRun *run = &g_array_index(in, AgingRun, i);
		bool contiguous = false;

		for (uint64_t gpa = run->gpa; gpa < run->gpa + run->size;) {
			uint64_t u, lim;
			unsigned age;

			if (!r || gpa < r->gpa || gpa - r->gpa >= r->size)
				r = aging_range_of(a, gpa);
			if (!r)
				break;
			u = (gpa - r->gpa) / r->page_size;
			age = aging_proven_age(a, r, u);
			lim = a->now > since ? a->now - since : 0;
			if (age >= min_age && left >= r->page_size) {
				aging_run_add(runs, gpa, r->page_size, age,
					      contiguous);
				left -= r->page_size;
				contiguous = true;
			} else {
				if (age < min_age &&
				    aging_seen_age(a, r, u) < lim)
					*hot += r->page_size;
				else if (age < min_age)
					*unproven += r->page_size;
				contiguous = false;
			}
			gpa += r->page_size;
		}
	}
	g_mutex_unlock(&a->lock);
	return runs;
}
