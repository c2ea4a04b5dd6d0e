/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reclaim engine: plan from ages, batches through the madvise ring,
 * result from residency.  See include/reclaim/reclaim.h.
 *
 * Locking: reclaim_run() works on its caller's thread with its own state;
 * the Aging takes its lock in each aging_*() call (never held here), the
 * RAM list is read-only, residency needs none.  The hooks lock what they
 * share.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "aging/aging.h"
#include "reclaim/madvise-ring.h"
#include "reclaim/reclaim.h"
#include "reclaim/residency.h"
#include "util/error.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

#define PG	      4096ULL
#define BITS_PER_LONG (8 * sizeof(unsigned long))

/* A range advised successfully, kept for the measurement. */
typedef struct ReclaimAdvised {
	uint64_t gpa;
	uint64_t npages;
} ReclaimAdvised;

typedef struct ReclaimCtx {
	const ReclaimTarget *t;
	const ReclaimParams *p;
	const ReclaimHooks *h;
	ReclaimStats *st;
	MadviseRing *ring;
	GArray *runs;	 /* AgingRun, the plan */
	guint run;	 /* cursor: run index ... */
	uint64_t off;	 /* ... and offset in it */
	uint64_t scan;	 /* scan number of the plan */
	uint64_t batch;	 /* bytes per batch */
	GArray *advised; /* ReclaimAdvised */
	GArray *reqs;	 /* MadviseReq of the batch */
	uint64_t swap_free0;
	gint64 t0;
} ReclaimCtx;

static bool bit_test(const unsigned long *bm, uint64_t i)
{
	return bm[i / BITS_PER_LONG] >> (i % BITS_PER_LONG) & 1;
}

static void reclaim_publish(ReclaimCtx *c)
{
	c->st->duration_ns = (g_get_monotonic_time() - c->t0) * 1000;
	if (c->h->publish)
		c->h->publish(c->h->opaque, c->st);
}

/* Pages per batch: about 100 ms of the rate limit, within bounds. */
static uint64_t reclaim_batch_bytes(const ReclaimParams *p)
{
	uint64_t b = RECLAIM_BATCH_MAX;

	if (p->rate_limit)
		b = CLAMP(p->rate_limit / 10, RECLAIM_BATCH_MIN,
			  RECLAIM_BATCH_MAX);
	return b & ~(PG - 1);
}

static bool reclaim_plan(ReclaimCtx *c)
{
	const ReclaimParams *p = c->p;
	uint64_t ival = aging_interval_ms(c->t->a);
	unsigned min_age = 1;

	if (!p->target_bytes)
		min_age = MIN((p->min_age_ms + ival - 1) / ival,
			      (uint64_t)AGING_AGE_MAX + 1);
	c->runs =
		aging_select_cold(c->t->a, min_age, p->target_bytes, &c->scan);
	for (guint i = 0; i < c->runs->len; i++)
		c->st->selected += g_array_index(c->runs, AgingRun, i).size;
	c->st->requested = p->target_bytes ? p->target_bytes : c->st->selected;
	if (p->target_bytes > c->st->selected)
		c->st->skipped_hot = p->target_bytes - c->st->selected;
	if (c->h->set_total)
		c->h->set_total(c->h->opaque, c->st->selected);
	return true;
}

/* Next piece of the plan, within one run and one RAM bank; false at end. */
static bool reclaim_next_piece(ReclaimCtx *c, uint64_t max, uint64_t *gpa,
			       uint64_t *len, RamBank **bank)
{
	AgingRun *r;

	while (c->run < c->runs->len &&
	       c->off >= g_array_index(c->runs, AgingRun, c->run).size) {
		c->run++;
		c->off = 0;
	}
	if (c->run >= c->runs->len)
		return false;
	r = &g_array_index(c->runs, AgingRun, c->run);
	*gpa = r->gpa + c->off;
	*len = MIN(r->size - c->off, max);
	*bank = ram_bank_find(c->t->ram, *gpa);
	if (*bank)
		*len = MIN(*len, (*bank)->gpa + (*bank)->size - *gpa);
	c->off += *len;
	return true;
}

/* Bytes of the plan not reached yet. */
static uint64_t reclaim_remaining(ReclaimCtx *c)
{
	uint64_t left = 0;

	for (guint i = c->run; i < c->runs->len; i++)
		left += g_array_index(c->runs, AgingRun, i).size;
	return left - MIN(left, c->off);
}

static void reclaim_add_req(ReclaimCtx *c, RamBank *bank, uint64_t gpa,
			    uint64_t npages)
{
	MadviseReq req = {
		.addr = (char *)bank->host + (gpa - bank->gpa),
		.len = npages * PG,
		.advice = c->p->advice,
	};

	g_array_append_val(c->reqs, req);
}

/*
 * Classify the pages of one piece, present and not accessed since the
 * plan go to the batch's requests; the others are counted as skipped.
 * Residency first, then the aging re-check, right before submission.
 */
static bool reclaim_piece(ReclaimCtx *c, RamBank *bank, uint64_t gpa,
			  uint64_t len, GError **errp)
{
	uint64_t n = len / PG, words = (n + BITS_PER_LONG - 1) / BITS_PER_LONG;
	g_autofree unsigned long *present = g_new0(unsigned long, words);
	g_autofree unsigned long *swapped = g_new0(unsigned long, words);
	g_autofree unsigned long *accessed = g_new0(unsigned long, words);
	uint64_t start = 0;
	bool open = false;

	if (!bank || bank->type != RAM_BANK_RAM) {
		c->st->failed += len; /* the aging covers RAM banks only */
		return true;
	}
	if (!residency_bitmap(bank, gpa - bank->gpa, len, present, swapped,
			      errp))
		return false;
	aging_run_accessed_since(c->t->a, gpa, len, c->scan, accessed);
	for (uint64_t i = 0; i <= n; i++) {
		bool take = i < n && bit_test(present, i) &&
			    !bit_test(accessed, i);

		if (i < n && !take) {
			if (bit_test(accessed, i))
				c->st->raced += PG;
			else if (bit_test(swapped, i))
				c->st->already_swapped += PG;
			else if (!bit_test(present, i))
				c->st->absent += PG;
		}
		if (take && !open) {
			start = i;
			open = true;
		} else if (!take && open) {
			reclaim_add_req(c, bank, gpa + start * PG, i - start);
			open = false;
		}
	}
	return true;
}

/* Room in swap for @need bytes?  Cuts the batch's requests to fit. */
static void reclaim_fit_swap(ReclaimCtx *c)
{
	ReclaimSwap sw;
	uint64_t room, need = 0;
	guint i;

	if (c->p->advice != MADV_PAGEOUT || !reclaim_swap_read(&sw, NULL))
		return;
	room = MIN(sw.free, c->swap_free0 - MIN(c->swap_free0, c->st->advised));
	c->st->swap_free = sw.free;
	for (i = 0; i < c->reqs->len; i++) {
		MadviseReq *r = &g_array_index(c->reqs, MadviseReq, i);

		if (need + r->len > room) {
			uint64_t fit = (room - need) & ~(PG - 1);
			uint64_t cut = r->len - fit;

			for (guint k = i + 1; k < c->reqs->len; k++)
				cut += g_array_index(c->reqs, MadviseReq, k).len;
			c->st->not_reached += cut;
			c->st->swap_full = true;
			r->len = fit;
			g_array_set_size(c->reqs, fit ? i + 1 : i);
			return;
		}
		need += r->len;
	}
}

static void reclaim_account(ReclaimCtx *c, RamBank **banks)
{
	for (guint i = 0; i < c->reqs->len; i++) {
		MadviseReq *r = &g_array_index(c->reqs, MadviseReq, i);
		RamBank *b = banks[i];
		ReclaimAdvised a = {
			b->gpa + ((char *)r->addr - (char *)b->host),
			r->len / PG,
		};

		if (r->result == 0) {
			c->st->advised += r->len;
			g_array_append_val(c->advised, a);
			continue;
		}
		if (!c->st->first_errno)
			c->st->first_errno = -r->result;
		if (r->result == -EINVAL)
			c->st->unswappable += r->len;
		else
			c->st->failed += r->len;
	}
}

/*
 * Shared memdevs: drop the guest view's entries, map the pages once in
 * the bank's alias, advise them there (see reclaim.h).  Requests of banks
 * without an alias are advised directly (the first two steps are empty).
 * The requests keep their guest addresses for the accounting; each gets
 * the first error of its three steps.
 */
static int reclaim_submit_shared(ReclaimCtx *c, RamBank **banks, GError **errp)
{
	guint n = c->reqs->len;
	g_autofree MadviseReq *steps = g_new(MadviseReq, 3 * n);
	int failed = 0;

	for (guint i = 0; i < n; i++) {
		MadviseReq *r = &g_array_index(c->reqs, MadviseReq, i);
		char *alias = banks[i]->host_alias;
		size_t len = alias ? r->len : 0;

		if (alias)
			alias += (char *)r->addr - (char *)banks[i]->host;
		else
			alias = r->addr;
		steps[i] = (MadviseReq){ r->addr, len, MADV_DONTNEED };
		steps[n + i] = (MadviseReq){ alias, len, MADV_POPULATE_READ };
		steps[2 * n + i] = (MadviseReq){ alias, r->len, r->advice };
	}
	for (guint k = 0; k < 3; k++) {
		if (madvise_ring_submit(c->ring, steps + k * n, n, errp) < 0)
			return -1;
	}
	for (guint i = 0; i < n; i++) {
		MadviseReq *r = &g_array_index(c->reqs, MadviseReq, i);

		r->result = steps[i].result	? steps[i].result :
			    steps[n + i].result ? steps[n + i].result :
						  steps[2 * n + i].result;
		failed += r->result < 0;
	}
	return failed;
}

static int reclaim_submit(ReclaimCtx *c, RamBank **banks, GError **errp)
{
	if (!c->reqs->len)
		return 0;
	for (guint i = 0; i < c->reqs->len; i++) {
		if (banks[i]->host_alias)
			return reclaim_submit_shared(c, banks, errp);
	}
	return madvise_ring_submit(c->ring, (MadviseReq *)c->reqs->data,
				   c->reqs->len, errp);
}

/* One batch: pieces up to the batch size, re-checked, then advised. */
static bool reclaim_batch(ReclaimCtx *c, GError **errp)
{
	g_autoptr(GPtrArray) banks = g_ptr_array_new();
	uint64_t done = 0, gpa, len;
	unsigned pieces = 0;
	RamBank *bank;

	g_array_set_size(c->reqs, 0);
	while (pieces < RECLAIM_BATCH_REQS && done < c->batch &&
	       reclaim_next_piece(c, c->batch - done, &gpa, &len, &bank)) {
		guint before = c->reqs->len;

		if (c->st->hugetlb) {
			c->st->unswappable += len;
		} else if (!reclaim_piece(c, bank, gpa, len, errp)) {
			return false;
		}
		for (guint i = before; i < c->reqs->len; i++)
			g_ptr_array_add(banks, bank);
		done += len;
		pieces++;
	}
	if (!c->p->dry_run) {
		reclaim_fit_swap(c);
		if (reclaim_submit(c, (RamBank **)banks->pdata, errp) < 0)
			return false;
		reclaim_account(c, (RamBank **)banks->pdata);
		c->st->batches++;
	} else {
		for (guint i = 0; i < c->reqs->len; i++)
			c->st->would_advise +=
				g_array_index(c->reqs, MadviseReq, i).len;
	}
	if (c->h->progress)
		c->h->progress(c->h->opaque, done);
	return true;
}

/* Sleep until @bytes fit the rate limit, in slices; false if cancelled. */
static bool reclaim_throttle(ReclaimCtx *c, uint64_t bytes)
{
	gint64 due, now;

	if (!c->p->rate_limit || c->p->dry_run)
		return true;
	due = c->t0 +
	      (gint64)((double)bytes * G_USEC_PER_SEC / c->p->rate_limit);
	while ((now = g_get_monotonic_time()) < due) {
		if (c->h->cancelled && c->h->cancelled(c->h->opaque))
			return false;
		g_usleep(MIN(due - now, RECLAIM_SLEEP_STEP * 1000));
	}
	return true;
}

/* After the last batch: how much of what was advised is in swap. */
static void reclaim_measure(ReclaimCtx *c, ReclaimRefaults *rf)
{
	uint64_t now = aging_now(c->t->a);

	for (guint i = 0; i < c->advised->len; i++) {
		ReclaimAdvised *a =
			&g_array_index(c->advised, ReclaimAdvised, i);
		RamBank *b = ram_bank_find(c->t->ram, a->gpa);
		uint64_t words =
			(a->npages + BITS_PER_LONG - 1) / BITS_PER_LONG;
		g_autofree unsigned long *sw = g_new0(unsigned long, words);
		bool ok = residency_bitmap(b, a->gpa - b->gpa, a->npages * PG,
					   NULL, sw, NULL);

		for (uint64_t k = 0; ok && k < a->npages; k++)
			c->st->swapped += bit_test(sw, k) ? PG : 0;
		if (rf && c->p->advice == MADV_PAGEOUT)
			reclaim_refaults_add(rf, a->gpa, a->npages,
					     ok ? sw : NULL, now);
	}
}

static bool reclaim_check(const ReclaimTarget *t, const ReclaimParams *p,
			  ReclaimCtx *c, GError **errp)
{
	ReclaimSwap sw;

	if (p->advice != MADV_PAGEOUT || p->dry_run)
		return true;
	if (!reclaim_swap_read(&sw, errp))
		return false;
	if (!sw.total) {
		error_setg(errp,
			   "memdev '%s': advice pageout needs swap and the "
			   "host has none (set up swap, e.g. zram: see "
			   "docs/system/reclaim.rst)",
			   t->memdev);
		return false;
	}
	c->swap_free0 = c->st->swap_free = sw.free;
	return true;
}

bool reclaim_run(const ReclaimTarget *t, const ReclaimParams *p,
		 const ReclaimHooks *h, ReclaimRefaults *rf, ReclaimStats *st,
		 GError **errp)
{
	ReclaimCtx c = { t, p, h, st };
	uint64_t thp0 = reclaim_thp_splits(), dealt = 0;
	bool ok = false;

	memset(st, 0, sizeof(*st));
	c.t0 = g_get_monotonic_time();
	if (!reclaim_check(t, p, &c, errp))
		return false;
	c.ring = madvise_ring_new(errp);
	if (!c.ring)
		return false;
	st->uring = madvise_ring_uses_uring(c.ring);
	st->hugetlb = t->be && t->be->page_size > PG;
	c.batch = reclaim_batch_bytes(p);
	c.advised = g_array_new(false, false, sizeof(ReclaimAdvised));
	c.reqs = g_array_new(false, false, sizeof(MadviseReq));
	reclaim_plan(&c);
	reclaim_publish(&c);
	while (c.run < c.runs->len && !st->swap_full) {
		if (h->yield && !h->yield(h->opaque)) {
			st->cancelled = true;
			break;
		}
		if (!reclaim_batch(&c, errp))
			goto out;
		dealt = st->selected - reclaim_remaining(&c);
		reclaim_publish(&c);
		if (!reclaim_throttle(&c, dealt)) {
			st->cancelled = true;
			break;
		}
	}
	ok = true;
out:
	st->not_reached += reclaim_remaining(&c);
	reclaim_measure(&c, rf);
	st->thp_splits = reclaim_thp_splits() - thp0;
	reclaim_publish(&c);
	g_array_free(c.reqs, true);
	g_array_free(c.advised, true);
	g_array_free(c.runs, true);
	madvise_ring_free(c.ring);
	return ok;
}
