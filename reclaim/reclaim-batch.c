/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Batches of the reclaim engine: a stage's plan is cut into pieces,
 * re-checked against residency and the aging right before submission,
 * fitted into the swap room and advised; the measurement afterwards.
 * See include/reclaim/reclaim.h.
 *
 * Locking: the ReclaimCtx is the caller's; the Aging takes its lock in
 * each aging_*() call, the RAM list is read-only, residency needs none.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "reclaim-int.h"
#include "memory/residency.h"
#include "util/error.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

uint64_t reclaim_batch_bytes(const ReclaimParams *p)
{
	uint64_t b = RECLAIM_BATCH_MAX;

	if (p->rate_limit)
		b = CLAMP(p->rate_limit / 10, RECLAIM_BATCH_MIN,
			  RECLAIM_BATCH_MAX);
	return b & ~(PAGE_SIZE - 1);
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
uint64_t reclaim_remaining(ReclaimCtx *c)
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
		.len = npages * PAGE_SIZE,
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
	uint64_t n = len / PAGE_SIZE, words = BITS_TO_LONGS(n);
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
		bool take = i < n && reclaim_bit(present, i) &&
			    !reclaim_bit(accessed, i);

		if (i < n && !take) {
			if (reclaim_bit(accessed, i))
				c->st->raced += PAGE_SIZE;
			else if (reclaim_bit(swapped, i))
				c->st->already_swapped += PAGE_SIZE;
			else if (!reclaim_bit(present, i))
				c->st->absent += PAGE_SIZE;
		}
		if (take && !open) {
			start = i;
			open = true;
		} else if (!take && open) {
			reclaim_add_req(c, bank, gpa + start * PAGE_SIZE,
					i - start);
			open = false;
		}
	}
	return true;
}

/*
 * Cut the batch's requests to the swap room: what is free now (and no
 * more than was free at the start minus what the job advised, in case
 * the kernel has not counted it yet) less the reserve left to the host.
 * Checked before every batch; a cut stops the job (swap-full).
 */
static void reclaim_fit_swap(ReclaimCtx *c)
{
	ReclaimSwap sw;
	uint64_t room, need = 0;
	guint i;

	if (c->p->advice != MADV_PAGEOUT || !reclaim_swap_read(&sw, NULL))
		return;
	room = MIN(sw.free, c->swap_free0 - MIN(c->swap_free0, c->st->advised));
	room -= MIN(room, c->swap_reserve);
	c->st->swap_free = sw.free;
	c->st->swap_room = room;
	for (i = 0; i < c->reqs->len; i++) {
		MadviseReq *r = &g_array_index(c->reqs, MadviseReq, i);

		if (need + r->len > room) {
			uint64_t fit = (room - need) & ~(PAGE_SIZE - 1);
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
			r->len / PAGE_SIZE,
			c->advise_scan,
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
bool reclaim_batch(ReclaimCtx *c, GError **errp)
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
		c->advise_scan = aging_now(c->t->a);
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

/* After the last batch: how much of what was advised is in swap. */
void reclaim_measure(ReclaimCtx *c, ReclaimRefaults *rf)
{
	for (guint i = 0; i < c->advised->len; i++) {
		ReclaimAdvised *a =
			&g_array_index(c->advised, ReclaimAdvised, i);
		RamBank *b = ram_bank_find(c->t->ram, a->gpa);
		uint64_t words = BITS_TO_LONGS(a->npages);
		g_autofree unsigned long *sw = g_new0(unsigned long, words);
		bool ok = residency_bitmap(b, a->gpa - b->gpa,
					   a->npages * PAGE_SIZE, NULL, sw,
					   NULL);

		for (uint64_t k = 0; ok && k < a->npages; k++)
			c->st->swapped += reclaim_bit(sw, k) ? PAGE_SIZE : 0;
		if (rf && c->p->advice == MADV_PAGEOUT)
			reclaim_refaults_add(rf, a->gpa, a->npages,
					     ok ? sw : NULL, a->scan);
	}
}
