/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The aging core: ranges, scans, the interval history and the sampling
 * bookkeeping (proofs of idleness).  See include/aging/aging.h; queries
 * are in aging-query.c, what reclaim asks in aging-select.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aging-int.h"
#include "util/error.h"

static uint64_t aging_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

Aging *aging_new(const char *name, RamList *ram, HostMemBackend *backend,
		 uint64_t interval_ms, const AgingCoverage *cov, GError **errp)
{
	Aging *a = g_new0(Aging, 1);
	AgingSegment seg = { 0, interval_ms ? interval_ms : 1 };
	RamBank *b;

	a->name = g_strdup(name);
	g_mutex_init(&a->lock);
	a->segments = g_array_new(false, false, sizeof(AgingSegment));
	g_array_append_val(a->segments, seg);
	a->stride = 1;
	a->block = 1;
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
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		g_free(r->last);
		g_free(r->since);
	}
	g_array_free(a->ranges, true);
	g_array_free(a->segments, true);
	g_free(a->armed_at);
	g_mutex_clear(&a->lock);
	g_free(a->name);
	g_free(a);
}

const char *aging_name(Aging *a)
{
	return a->name;
}

/* Lock held. */
uint64_t aging_cur_interval(const Aging *a)
{
	return g_array_index(a->segments, AgingSegment, a->segments->len - 1)
		.interval_ms;
}

/*
 * The last @k scans are the scan numbers in (now - k, now]; each took the
 * interval of the segment holding it.  Numbers below 1 (before the
 * Aging existed) count at the first segment's interval.  Lock held.
 * O(segments).
 */
uint64_t aging_scans_ms(const Aging *a, uint64_t k)
{
	uint64_t hi = a->now + 1, lo = a->now >= k ? a->now - k + 1 : 1;
	uint64_t ms = 0;

	for (guint i = a->segments->len; i-- > 0 && hi > lo;) {
		const AgingSegment *s =
			&g_array_index(a->segments, AgingSegment, i);
		uint64_t from = MAX(s->scan, lo);

		if (hi > from) {
			ms += (hi - from) * s->interval_ms;
			hi = from;
		}
	}
	if (k > a->now)
		ms += (k - a->now) *
		      g_array_index(a->segments, AgingSegment, 0).interval_ms;
	return ms;
}

/* Lock held.  Binary search over k: aging_scans_ms() grows with k. */
uint64_t aging_ms_scans(const Aging *a, uint64_t ms)
{
	uint64_t lo = 0, hi = AGING_AGE_MAX + 1;

	if (aging_scans_ms(a, hi) < ms)
		return hi;
	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;

		if (aging_scans_ms(a, mid) >= ms)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void aging_set_interval(Aging *a, uint64_t interval_ms)
{
	AgingSegment seg = { 0, interval_ms ? interval_ms : 1 };

	g_mutex_lock(&a->lock);
	seg.scan = a->now + 1; /* the next scan is the first of it */
	if (seg.interval_ms != aging_cur_interval(a)) {
		AgingSegment *last = &g_array_index(a->segments, AgingSegment,
						    a->segments->len - 1);

		if (last->scan == seg.scan)
			*last = seg;
		else
			g_array_append_val(a->segments, seg);
	}
	/*
	 * Forget the oldest change when there are too many: its scans then
	 * count at the next segment's interval if that is shorter (never
	 * more time than was observed), so merge into the shorter one.
	 */
	if (a->segments->len > AGING_MAX_SEGMENTS) {
		AgingSegment *s0 = &g_array_index(a->segments, AgingSegment, 0);
		AgingSegment *s1 = &g_array_index(a->segments, AgingSegment, 1);

		s1->interval_ms = MIN(s0->interval_ms, s1->interval_ms);
		s1->scan = s0->scan;
		g_array_remove_index(a->segments, 0);
	}
	g_mutex_unlock(&a->lock);
}

/* Every unit of every range "seen accessed now".  Lock held. */
static void aging_restart_ages(Aging *a)
{
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		for (uint64_t u = 0; u < r->nr_units; u++) {
			r->last[u] = (uint16_t)a->now;
			if (r->since)
				r->since[u] = (uint16_t)a->now;
		}
	}
}

void aging_set_coverage(Aging *a, const AgingCoverage *cov)
{
	g_mutex_lock(&a->lock);
	if (cov->reads && !a->coverage.reads) {
		aging_restart_ages(a);
		a->restarted = a->now;
	}
	a->coverage = *cov;
	g_mutex_unlock(&a->lock);
}

void aging_set_watching(Aging *a, bool watching)
{
	g_mutex_lock(&a->lock);
	if (a->watching && !watching)
		a->watch_epoch++;
	a->watching = watching;
	g_mutex_unlock(&a->lock);
}

uint64_t aging_restarted(Aging *a)
{
	uint64_t scan;

	g_mutex_lock(&a->lock);
	scan = a->restarted;
	g_mutex_unlock(&a->lock);
	return scan;
}

bool aging_watching(Aging *a, uint64_t *epoch)
{
	bool w;

	g_mutex_lock(&a->lock);
	w = a->watching;
	if (epoch)
		*epoch = a->watch_epoch;
	g_mutex_unlock(&a->lock);
	return w;
}

void aging_set_arm(Aging *a, AgingArmFn fn, void *opaque)
{
	g_mutex_lock(&a->lock);
	a->arm = fn;
	a->arm_opaque = opaque;
	g_mutex_unlock(&a->lock);
}

/* An invalid proof for unit @u (older than its last access). */
static inline uint16_t aging_unproven(const AgingRange *r, uint64_t u)
{
	return (uint16_t)(r->last[u] - 1);
}

/* Lock held. */
void aging_arm_units(Aging *a, AgingRange *r, uint64_t first, uint64_t n)
{
	if (!r->since)
		return;
	for (uint64_t u = first; u < first + n && u < r->nr_units; u++) {
		/* a proof still valid is older: keep it */
		if (aging_raw(a, r->since[u]) > aging_raw(a, r->last[u]))
			r->since[u] = (uint16_t)a->now;
	}
}

/* Leave sampling: the proofs become the ages.  Lock held. */
static void aging_sample_end(Aging *a)
{
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		if (!r->since)
			continue;
		for (uint64_t u = 0; u < r->nr_units; u++) {
			bool valid = aging_raw(a, r->since[u]) <=
				     aging_raw(a, r->last[u]);

			r->last[u] = valid ? r->since[u] : (uint16_t)a->now;
		}
		g_clear_pointer(&r->since, g_free);
	}
}

/* Enter sampling: ages are proofs if the coverage saw reads.  Lock held. */
static void aging_sample_begin(Aging *a)
{
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		if (r->since)
			continue;
		r->since = g_new(uint16_t, r->nr_units);
		for (uint64_t u = 0; u < r->nr_units; u++)
			r->since[u] = a->coverage.reads ? r->last[u] :
							  aging_unproven(r, u);
	}
}

void aging_set_sample(Aging *a, unsigned stride, unsigned block, bool all_armed)
{
	g_mutex_lock(&a->lock);
	g_clear_pointer(&a->armed_at, g_free);
	a->stride = MAX(stride, 1);
	a->block = MAX(block, 1);
	if (a->stride == 1) {
		a->block = 1;
		aging_sample_end(a);
		g_mutex_unlock(&a->lock);
		return;
	}
	aging_sample_begin(a);
	a->armed_at = g_new(uint64_t, a->stride);
	for (unsigned c = 0; c < a->stride; c++)
		a->armed_at[c] = all_armed || !c ? a->now : AGING_NEVER;
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		if (all_armed) {
			aging_arm_units(a, r, 0, r->nr_units);
			continue;
		}
		for (uint64_t u = 0; u < r->nr_units; u += a->stride * a->block)
			aging_arm_units(a, r, u, a->block);
	}
	g_mutex_unlock(&a->lock);
}

/* Lock held (between aging_scan_begin() and aging_scan_end()). */
void aging_sample_armed(Aging *a, unsigned phase)
{
	uint64_t step = (uint64_t)a->stride * a->block;

	if (a->stride <= 1)
		return;
	phase %= a->stride;
	a->armed_at[phase] = a->now;
	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		for (uint64_t u = (uint64_t)phase * a->block; u < r->nr_units;
		     u += step)
			aging_arm_units(a, r, u, a->block);
	}
}

/* Setup only (before scans start): no lock. */
bool aging_add_range(Aging *a, uint64_t gpa, uint64_t size, uint64_t page_size,
		     GError **errp)
{
	AgingRange r = { gpa, size, page_size };
	guint i;

	if (page_size < (1u << PAGE_SHIFT) || (page_size & (page_size - 1)) ||
	    !size || size % page_size || gpa % page_size) {
		error_setg(errp,
			   "%s: range 0x%" G_GINT64_MODIFIER
			   "x+0x%" G_GINT64_MODIFIER
			   "x is not aligned to its page size %" G_GUINT64_FORMAT,
			   a->name, gpa, size, page_size);
		return false;
	}
	r.unit_shift = __builtin_ctzll(page_size) - PAGE_SHIFT;
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

/*
 * Clamp every age to AGING_AGE_MAX so none can wrap; an invalid proof
 * stays invalid (one scan older than its unit's last access).  Lock
 * held.
 */
static void aging_sweep(Aging *a)
{
	uint16_t floor = (uint16_t)(a->now - AGING_AGE_MAX);

	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);

		for (uint64_t u = 0; u < r->nr_units; u++) {
			bool valid = r->since &&
				     aging_raw(a, r->since[u]) <=
					     aging_raw(a, r->last[u]);

			if (aging_raw(a, r->last[u]) > AGING_AGE_MAX)
				r->last[u] = floor;
			if (!r->since)
				continue;
			if (!valid)
				r->since[u] = aging_unproven(r, u);
			else if (aging_raw(a, r->since[u]) > AGING_AGE_MAX)
				r->since[u] = floor;
		}
	}
}

/* Forget interval segments no age can reach any more.  Lock held. */
static void aging_prune_segments(Aging *a)
{
	uint64_t horizon =
		a->now > 2 * AGING_AGE_MAX ? a->now - 2 * AGING_AGE_MAX : 0;

	while (a->segments->len > 1 &&
	       g_array_index(a->segments, AgingSegment, 1).scan <= horizon)
		g_array_remove_index(a->segments, 0);
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
	if (old / AGING_SWEEP_SCANS != a->now / AGING_SWEEP_SCANS) {
		aging_sweep(a);
		aging_prune_segments(a);
	}
	a->scan_core_ns = 0;
	a->scan_written = 0;
	return true;
}

/* Set bits of @bm[0..nbits) into the units of @r from @first.  Lock held. */
static uint64_t aging_mark(Aging *a, AgingRange *r, uint64_t first,
			   const unsigned long *bm, uint64_t nbits)
{
	uint16_t now = (uint16_t)a->now;
	uint64_t nwords = BITS_TO_LONGS(nbits);
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
	uint64_t t0 = aging_clock_ns();
	uint64_t written = 0;
	uint64_t end = gpa + (npages << PAGE_SHIFT);

	for (guint i = 0; i < a->ranges->len; i++) {
		AgingRange *r = &g_array_index(a->ranges, AgingRange, i);
		uint64_t lo = MAX(gpa, r->gpa), hi = MIN(end, r->gpa + r->size);
		uint64_t skip;

		if (lo >= hi)
			continue;
		/* Only whole-word starts keep the walk simple and cheap. */
		skip = (lo - gpa) >> PAGE_SHIFT;
		if (skip % BITS_PER_LONG) {
			g_warning("aging %s: unaligned update at 0x%" PRIx64,
				  a->name, lo);
			continue;
		}
		written += aging_mark(a, r, (lo - r->gpa) >> PAGE_SHIFT,
				      bitmap + skip / BITS_PER_LONG,
				      (hi - lo) >> PAGE_SHIFT);
	}
	a->scan_written += written;
	a->scan_core_ns += aging_clock_ns() - t0;
	return written;
}

void aging_scan_end(Aging *a, const AgingCost *cost)
{
	a->last_cost = *cost;
	a->last_cost.core_ns = a->scan_core_ns;
	a->last_cost.written = a->scan_written;
	a->scans++;
	g_mutex_unlock(&a->lock);
}
