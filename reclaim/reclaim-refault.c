/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Refault counting (include/reclaim/reclaim.h): each reclaim adds the
 * ranges it paged out; a poll walks only those ranges.  A watched page is
 * a refault when the aging saw it accessed after the scan it was advised
 * at (dated by its age), or, for a page confirmed in swap after its job,
 * when residency shows it present again (dated by the poll).  Refaulted
 * pages stop being watched, and entries with nothing left are dropped, so
 * a poll costs O(pages still watched).
 *
 * Locking: none; the caller serialises every call on one ReclaimRefaults.
 */
#include <string.h>

#include "aging/aging.h"
#include "reclaim/reclaim.h"
#include "util/bitmap.h"
#include "memory/residency.h"

typedef struct RefaultEntry {
	uint64_t gpa;
	uint64_t npages;
	uint64_t scan;		/* advised at this scan number */
	uint64_t left;		/* pages still watched */
	unsigned long *watch;	/* pages still watched */
	unsigned long *swapped; /* confirmed in swap after the job */
} RefaultEntry;

typedef struct RefaultEvent {
	gint64 when_us; /* monotonic */
	uint64_t bytes;
} RefaultEvent;

struct ReclaimRefaults {
	GPtrArray *entries; /* RefaultEntry */
	GArray *events;	    /* RefaultEvent, oldest first, last minute */
	uint64_t by_aging, by_residency;
	bool warned;
};

static bool bit_test(const unsigned long *bm, uint64_t i)
{
	return bm[i / BITS_PER_LONG] >> (i % BITS_PER_LONG) & 1;
}

static void bit_clear(unsigned long *bm, uint64_t i)
{
	bm[i / BITS_PER_LONG] &= ~(1UL << (i % BITS_PER_LONG));
}

static void refault_entry_free(gpointer p)
{
	RefaultEntry *e = p;

	if (!e)
		return;
	g_free(e->watch);
	g_free(e->swapped);
	g_free(e);
}

ReclaimRefaults *reclaim_refaults_new(void)
{
	ReclaimRefaults *rf = g_new0(ReclaimRefaults, 1);

	rf->entries = g_ptr_array_new_with_free_func(refault_entry_free);
	rf->events = g_array_new(false, false, sizeof(RefaultEvent));
	return rf;
}

void reclaim_refaults_free(ReclaimRefaults *rf)
{
	if (!rf)
		return;
	g_ptr_array_unref(rf->entries);
	g_array_free(rf->events, true);
	g_free(rf);
}

static void refault_event(ReclaimRefaults *rf, gint64 when_us, uint64_t bytes);

/*
 * A newer reclaim advised [gpa, gpa + npages pages) again: stop watching
 * them in @e.  Those @e saw in swap were present again (reclaim advises
 * only present pages): refaults, dated now.  Returns how many.
 */
static uint64_t refault_supersede(RefaultEntry *e, uint64_t gpa,
				  uint64_t npages)
{
	uint64_t lo = MAX(gpa, e->gpa), back = 0;
	uint64_t hi =
		MIN(gpa + npages * PAGE_SIZE, e->gpa + e->npages * PAGE_SIZE);

	for (uint64_t p = lo; p < hi; p += PAGE_SIZE) {
		uint64_t i = (p - e->gpa) / PAGE_SIZE;

		if (!bit_test(e->watch, i))
			continue;
		bit_clear(e->watch, i);
		e->left--;
		back += bit_test(e->swapped, i);
	}
	return back;
}

/* Supersede [gpa, +npages) in every entry of @rf; count the refaults. */
static void refault_supersede_all(ReclaimRefaults *rf, uint64_t gpa,
				  uint64_t npages)
{
	uint64_t back = 0;

	for (guint i = 0; i < rf->entries->len; i++)
		back += refault_supersede(rf->entries->pdata[i], gpa, npages);
	if (back) {
		rf->by_residency += back * PAGE_SIZE;
		refault_event(rf, g_get_monotonic_time(), back * PAGE_SIZE);
	}
}

void reclaim_refaults_add(ReclaimRefaults *rf, uint64_t gpa, uint64_t npages,
			  const unsigned long *swapped, uint64_t scan)
{
	uint64_t words = BITS_TO_LONGS(npages);
	RefaultEntry *e = g_new0(RefaultEntry, 1);

	refault_supersede_all(rf, gpa, npages);
	e->gpa = gpa;
	e->npages = npages;
	e->scan = scan;
	e->left = npages;
	e->watch = g_new(unsigned long, words);
	memset(e->watch, 0xff, words * sizeof(unsigned long));
	if (npages % BITS_PER_LONG)
		e->watch[words - 1] = (1UL << (npages % BITS_PER_LONG)) - 1;
	e->swapped = g_new0(unsigned long, words);
	if (swapped)
		memcpy(e->swapped, swapped, words * sizeof(unsigned long));
	g_ptr_array_add(rf->entries, e);
}

/* Events are kept per second: merged after each poll. */
void reclaim_refaults_take(ReclaimRefaults *dst, ReclaimRefaults *src, Aging *a)
{
	/* the aging dates what it saw before any page of @dst moves */
	if (a)
		reclaim_refaults_poll(dst, a, NULL);
	for (guint i = 0; i < src->entries->len; i++) {
		RefaultEntry *e = src->entries->pdata[i];

		refault_supersede_all(dst, e->gpa, e->npages);
		g_ptr_array_add(dst->entries, e);
		src->entries->pdata[i] = NULL;
	}
	g_ptr_array_set_size(src->entries, 0);
	/* a job's own refaults (a page advised twice: none) stay its own */
	dst->by_aging += src->by_aging;
	dst->by_residency += src->by_residency;
	g_array_append_vals(dst->events, src->events->data, src->events->len);
	g_array_set_size(src->events, 0);
	src->by_aging = src->by_residency = 0;
}

static void refault_event(ReclaimRefaults *rf, gint64 when_us, uint64_t bytes)
{
	RefaultEvent ev = { when_us - when_us % G_USEC_PER_SEC, bytes };

	g_array_append_val(rf->events, ev);
}

/* Refaults of @e seen by the aging.  Dated by their age. */
static void refault_poll_aging(ReclaimRefaults *rf, RefaultEntry *e, Aging *a,
			       gint64 now_us, uint64_t ival_ms)
{
	g_autofree uint16_t *ages = g_new(uint16_t, e->npages);
	uint64_t now, limit;

	aging_run_ages(a, e->gpa, e->npages, ages, &now);
	/* accessed after e->scan: age below now - scan (ages saturate) */
	limit = MIN(now - MIN(now, e->scan), (uint64_t)AGING_AGE_MAX);
	for (uint64_t i = 0; i < e->npages; i++) {
		if (!bit_test(e->watch, i) || ages[i] >= limit)
			continue;
		bit_clear(e->watch, i);
		e->left--;
		rf->by_aging += PAGE_SIZE;
		refault_event(rf, now_us - (gint64)ages[i] * ival_ms * 1000,
			      PAGE_SIZE);
	}
}

/* Refaults of @e seen only by residency: swapped then, present now. */
static void refault_poll_residency(ReclaimRefaults *rf, RefaultEntry *e,
				   RamList *ram, gint64 now_us)
{
	uint64_t words = BITS_TO_LONGS(e->npages);
	g_autofree unsigned long *present = g_new0(unsigned long, words);
	RamBank *b = ram_bank_find(ram, e->gpa);
	g_autoptr(GError) err = NULL;
	uint64_t n = 0;

	if (!b || !residency_bitmap(b, e->gpa - b->gpa, e->npages * PAGE_SIZE,
				    present, NULL, &err)) {
		if (err && !rf->warned)
			g_warning("refaults: %s", err->message);
		rf->warned = true;
		return;
	}
	for (uint64_t i = 0; i < e->npages; i++) {
		if (!bit_test(e->watch, i) || !bit_test(e->swapped, i) ||
		    !bit_test(present, i))
			continue;
		bit_clear(e->watch, i);
		e->left--;
		n++;
	}
	rf->by_residency += n * PAGE_SIZE;
	if (n)
		refault_event(rf, now_us, n * PAGE_SIZE);
}

static gint refault_event_cmp(gconstpointer pa, gconstpointer pb)
{
	const RefaultEvent *x = pa, *y = pb;

	return x->when_us < y->when_us ? -1 : x->when_us > y->when_us;
}

void reclaim_refaults_poll(ReclaimRefaults *rf, Aging *a, RamList *ram)
{
	gint64 now_us = g_get_monotonic_time();
	gint64 from = now_us - RECLAIM_RATE_WINDOW_MS * 1000LL;
	uint64_t ival = a ? aging_interval_ms(a) : 0;
	guint keep = 0, out = 0;

	for (guint i = 0; i < rf->entries->len;) {
		RefaultEntry *e = rf->entries->pdata[i];

		/* ages restarted after its job: only residency tells */
		if (a && e->left && e->scan >= aging_restarted(a))
			refault_poll_aging(rf, e, a, now_us, ival);
		if (ram && e->left)
			refault_poll_residency(rf, e, ram, now_us);
		if (!e->left)
			g_ptr_array_remove_index(rf->entries, i);
		else
			i++;
	}
	/* keep the last minute of events, in time order */
	g_array_sort(rf->events, refault_event_cmp);
	while (keep < rf->events->len &&
	       g_array_index(rf->events, RefaultEvent, keep).when_us < from)
		keep++;
	g_array_remove_range(rf->events, 0, keep);
	/* merge events of the same second, in place */
	for (guint i = 1; i < rf->events->len; i++) {
		RefaultEvent *ev = &g_array_index(rf->events, RefaultEvent, i);
		RefaultEvent *w = &g_array_index(rf->events, RefaultEvent, out);

		if (ev->when_us == w->when_us)
			w->bytes += ev->bytes;
		else
			g_array_index(rf->events, RefaultEvent, ++out) = *ev;
	}
	if (rf->events->len)
		g_array_set_size(rf->events, out + 1);
}

void reclaim_refaults_stats(ReclaimRefaults *rf, ReclaimRefaultStats *out)
{
	gint64 from = g_get_monotonic_time() - RECLAIM_RATE_WINDOW_MS * 1000LL;

	memset(out, 0, sizeof(*out));
	for (guint i = 0; i < rf->entries->len; i++)
		out->watched += ((RefaultEntry *)rf->entries->pdata[i])->left *
				PAGE_SIZE;
	out->by_aging = rf->by_aging;
	out->by_residency = rf->by_residency;
	out->refaulted = rf->by_aging + rf->by_residency;
	for (guint i = 0; i < rf->events->len; i++) {
		RefaultEvent *ev = &g_array_index(rf->events, RefaultEvent, i);

		if (ev->when_us >= from)
			out->last_minute += ev->bytes;
	}
}
