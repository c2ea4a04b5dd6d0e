/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reclaim engine: checks, the plan from proven ages, the confirmation
 * of candidates, and the stages of batches (reclaim-batch.c).  See
 * include/reclaim/reclaim.h.
 *
 * Locking: reclaim_run() works on its caller's thread with its own state;
 * the Aging takes its lock in each aging_*() call (never held here), the
 * RAM list is read-only, residency needs none.  The hooks lock what they
 * share.
 */
#include <string.h>
#include <sys/mman.h>

#include "reclaim-int.h"
#include "util/error.h"

static void reclaim_publish(ReclaimCtx *c)
{
	c->st->duration_ns = (g_get_monotonic_time() - c->t0) * 1000;
	if (c->h->publish)
		c->h->publish(c->h->opaque, c->st);
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

/*
 * The ages can still be trusted: the aging watched without a break since
 * the plan, and sees reads if the plan needed them.  Before each batch.
 */
static bool reclaim_aging_ok(ReclaimCtx *c, GError **errp)
{
	AgingCoverage cov;
	uint64_t epoch;

	if (!aging_watching(c->t->a, &epoch) || epoch != c->epoch) {
		c->st->aging_stopped = true;
		error_setg(errp,
			   "memdev '%s': its memory-aging object stopped "
			   "watching (memory-aging-set enable=false): reclaim "
			   "stopped, it can no longer re-check pages before "
			   "advising them",
			   c->t->memdev);
		return false;
	}
	aging_get_coverage(c->t->a, &cov, NULL);
	if (c->st->reads && !cov.reads && !c->p->allow_write_only) {
		c->st->aging_stopped = true;
		error_setg(errp,
			   "memdev '%s': the aging switched to backend %s, "
			   "which does not see reads: reclaim stopped (pass "
			   "allow-write-only=true to accept that)",
			   c->t->memdev, cov.backend);
		return false;
	}
	return true;
}

/* Advise the plan @runs chosen at scan @scan, batch by batch. */
static bool reclaim_stage(ReclaimCtx *c, GArray *runs, uint64_t scan,
			  GError **errp)
{
	uint64_t total = 0;
	bool ok = true;

	for (guint i = 0; i < runs->len; i++)
		total += g_array_index(runs, AgingRun, i).size;
	c->runs = runs;
	c->run = 0;
	c->off = 0;
	c->scan = scan;
	while (c->run < runs->len && !c->st->swap_full) {
		if (c->h->yield && !c->h->yield(c->h->opaque)) {
			c->st->cancelled = true;
			break;
		}
		if (!reclaim_aging_ok(c, errp) || !reclaim_batch(c, errp)) {
			ok = false;
			break;
		}
		reclaim_publish(c);
		if (!reclaim_throttle(c, c->dealt + total -
						 reclaim_remaining(c))) {
			c->st->cancelled = true;
			break;
		}
	}
	c->st->not_reached += reclaim_remaining(c);
	c->dealt += total;
	c->runs = NULL;
	return ok;
}

/* Wait until the aging's scan number reaches @ready (the proofs). */
static bool reclaim_wait(ReclaimCtx *c, uint64_t ready, GError **errp)
{
	gint64 t0 = g_get_monotonic_time();
	bool ok = true;

	while (aging_now(c->t->a) < ready) {
		if (c->h->yield && !c->h->yield(c->h->opaque)) {
			c->st->cancelled = true;
			break;
		}
		if (!reclaim_aging_ok(c, errp)) {
			ok = false;
			break;
		}
		g_usleep(RECLAIM_SLEEP_STEP * 1000);
	}
	c->st->confirm_ns = (g_get_monotonic_time() - t0) * 1000;
	return ok;
}

static uint64_t reclaim_runs_bytes(const GArray *runs)
{
	uint64_t n = 0;

	for (guint i = 0; i < runs->len; i++)
		n += g_array_index(runs, AgingRun, i).size;
	return n;
}

/* Stage B: the candidates that stayed untouched; the rest classified. */
static bool reclaim_confirmed(ReclaimCtx *c, unsigned k, GArray *cands,
			      uint64_t since, uint64_t *hot, uint64_t *unproven,
			      GError **errp)
{
	uint64_t budget = 0, scan;
	g_autoptr(GArray) runs = NULL;

	if (c->p->target_bytes)
		budget = c->p->target_bytes - c->st->selected;
	runs = aging_select_in(c->t->a, k, cands, budget, since, &scan, hot,
			       unproven);
	c->st->confirmed = reclaim_runs_bytes(runs);
	c->st->selected += c->st->confirmed;
	return reclaim_stage(c, runs, scan, errp);
}

/*
 * The age candidates must be confirmed for: min-age-ms, or for
 * target-bytes as long as the coldest target-bytes look idle (proven or
 * not), at most one rotation of the sampling: a window of one interval
 * would prove nothing about pages the guest touches a little less often
 * (a guest slowed down by the faults of the confirmation itself).
 */
static unsigned reclaim_confirm_age(ReclaimCtx *c, unsigned k)
{
	AgingCoverage cov;
	unsigned stride;

	if (!c->p->target_bytes)
		return k;
	aging_get_coverage(c->t->a, &cov, NULL);
	stride = cov.sampled > 0 ? (unsigned)(1.0 / cov.sampled + 0.5) : 1;
	return CLAMP(aging_seen_cutoff(c->t->a, c->p->target_bytes), 1,
		     MAX(stride, 1));
}

/*
 * Stage A (proven pages), then, when candidates were armed, the wait and
 * stage B; the shortfall of the plan is split into hot and unproven.
 */
static bool reclaim_stages(ReclaimCtx *c, GError **errp)
{
	const ReclaimParams *p = c->p;
	unsigned k =
		p->target_bytes ? 1 : aging_ms_to_scans(c->t->a, p->min_age_ms);
	g_autoptr(GArray) runs = NULL;
	g_autoptr(GArray) cands = g_array_new(false, false, sizeof(AgingRun));
	bool arm = !p->dry_run && !p->no_confirm, ok;
	uint64_t scan, since, ready, hot = 0, unproven = 0;
	AgingSplit split = { 0 };
	unsigned seen;

	/* stage A and the candidates use the same age: they never overlap */
	seen = k;
	k = reclaim_confirm_age(c, k);
	runs = aging_select_cold(c->t->a, k, p->target_bytes, &scan);
	c->st->selected = reclaim_runs_bytes(runs);
	since = aging_now(c->t->a);
	if ((!p->target_bytes || c->st->selected < p->target_bytes) &&
	    k <= AGING_AGE_MAX &&
	    !aging_confirm(c->t->a, seen, k, arm, &split, cands, &ready, errp))
		return false;
	c->st->requested = p->target_bytes ? p->target_bytes :
					     c->st->selected + split.candidate;
	if (c->h->set_total)
		c->h->set_total(c->h->opaque, c->st->requested);
	reclaim_publish(c);
	ok = reclaim_stage(c, runs, scan, errp);
	unproven = split.candidate;
	if (ok && arm && split.armed && !c->st->cancelled &&
	    !c->st->swap_full) {
		ok = reclaim_wait(c, ready, errp);
		if (ok && !c->st->cancelled) {
			unproven = 0;
			ok = reclaim_confirmed(c, k, cands, since, &hot,
					       &unproven, errp);
		}
	}
	if (p->target_bytes) {
		uint64_t shortfall =
			p->target_bytes - MIN(p->target_bytes, c->st->selected);

		unproven = MIN(unproven, shortfall);
		hot = shortfall - unproven;
	}
	c->st->skipped_hot = hot;
	c->st->unproven = unproven;
	if (c->h->progress)
		c->h->progress(c->h->opaque, hot + unproven);
	return ok;
}

bool reclaim_ages_usable(const char *memdev, Aging *a, bool allow_write_only,
			 GError **errp)
{
	AgingCoverage cov;

	if (!aging_watching(a, NULL)) {
		error_setg(errp,
			   "memdev '%s': its memory-aging object is not "
			   "watching (disabled with memory-aging-set, or the "
			   "VM has not started): reclaim needs ages being "
			   "harvested",
			   memdev);
		return false;
	}
	aging_get_coverage(a, &cov, NULL);
	if (!cov.reads && !allow_write_only) {
		error_setg(errp,
			   "memdev '%s': the %s aging backend sees writes "
			   "only, so pages the guest only reads look idle: "
			   "reclaim acts only on proven idleness (use "
			   "backend=uffd on a memfd or share=on memdev, or "
			   "pass allow-write-only=true to accept it)",
			   memdev, cov.backend);
		return false;
	}
	return true;
}

static bool reclaim_check_aging(const ReclaimTarget *t, const ReclaimParams *p,
				ReclaimCtx *c, GError **errp)
{
	AgingCoverage cov;

	if (!reclaim_ages_usable(t->memdev, t->a, p->allow_write_only, errp))
		return false;
	aging_watching(t->a, &c->epoch);
	aging_get_coverage(t->a, &cov, &c->st->sampled);
	c->st->reads = cov.reads;
	c->st->backend = cov.backend;
	return true;
}

static bool reclaim_check(const ReclaimTarget *t, const ReclaimParams *p,
			  ReclaimCtx *c, GError **errp)
{
	ReclaimSwap sw;

	if (!reclaim_check_aging(t, p, c, errp))
		return false;
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
	c->swap_reserve = MIN(sw.total / 16, RECLAIM_SWAP_RESERVE);
	return true;
}

bool reclaim_run(const ReclaimTarget *t, const ReclaimParams *p,
		 const ReclaimHooks *h, ReclaimRefaults *rf, ReclaimStats *st,
		 GError **errp)
{
	ReclaimCtx c = { t, p, h, st };
	uint64_t thp0 = reclaim_thp_splits();
	bool ok;

	memset(st, 0, sizeof(*st));
	c.t0 = g_get_monotonic_time();
	if (!reclaim_check(t, p, &c, errp))
		return false;
	c.ring = madvise_ring_new(errp);
	if (!c.ring)
		return false;
	st->uring = madvise_ring_uses_uring(c.ring);
	st->hugetlb = t->be && t->be->page_size > PAGE_SIZE;
	c.batch = reclaim_batch_bytes(p);
	c.advised = g_array_new(false, false, sizeof(ReclaimAdvised));
	c.reqs = g_array_new(false, false, sizeof(MadviseReq));
	ok = reclaim_stages(&c, errp);
	reclaim_measure(&c, rf);
	st->thp_splits = reclaim_thp_splits() - thp0;
	reclaim_publish(&c);
	g_array_free(c.reqs, true);
	g_array_free(c.advised, true);
	madvise_ring_free(c.ring);
	return ok;
}
