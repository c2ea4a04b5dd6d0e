/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The access-log feed: the proposed KVM_GET_ACCESS_LOG harvester
 * (include/accel/access-log.h), one AccessLogSlot per memslot of the
 * memdev (the machine's dirty-log slot table names them), feeding the
 * aging core.  Sees reads and writes.
 *
 * No kernel has KVM_CAP_ACCESS_LOG: creating the feed on KVM fails with
 * KVMAGE_ERROR_KVM_MISSING_CAP.  The feed runs only against the model of
 * the kernel semantics in the unit tests (AgingFeedEnv.access_log_ops).
 *
 * Each scan test-and-clears with KVM_ACCESS_LOG_FAST_ONLY; a range the
 * kernel skipped keeps its accessed bits for the next scan, and its
 * pages count as accessed in this one (never claim what was not seen).
 *
 * Locking: the scan runs on the harvest thread and owns the slots; the
 * kernel does its own locking.
 */
#include "aging/feed.h"
#include "util/bitmap.h"
#include "util/error.h"

#define FEED_ACCESS_LOG_RANGE 4096 /* pages per KVM_GET_ACCESS_LOG */

typedef struct FeedAccessLogSlot {
	AccessLogSlot *ls;
	uint64_t gpa;
} FeedAccessLogSlot;

typedef struct FeedAccessLog {
	Aging *a;
	const AccessLogOps *ops;
	void *opaque;
	GArray *slots;	     /* FeedAccessLogSlot */
	unsigned long *bits; /* a slot's accessed | skipped, largest slot */
} FeedAccessLog;

static const AgingCoverage feed_access_log_cov = {
	.backend = "access-log",
	.reads = true,
	.writes = true,
	.sampled = 1.0,
	.note = NULL,
};

#define FEED_ACCESS_LOG_WHY                                            \
	"KVM lacks KVM_CAP_ACCESS_LOG (proposed interface, no kernel " \
	"implements it)"

static const char *feed_access_log_why(const AgingFeedEnv *env,
				       const HostMemBackend *mem)
{
	(void)mem;
	if (env->access_log_ops)
		return NULL;
	return env->kvm && access_log_probe(env->kvm, NULL) ?
		       NULL :
		       FEED_ACCESS_LOG_WHY;
}

static void feed_access_log_free(void *state)
{
	FeedAccessLog *fa = state;

	if (!fa)
		return;
	for (guint i = 0; i < fa->slots->len; i++)
		access_log_slot_free(
			g_array_index(fa->slots, FeedAccessLogSlot, i).ls);
	g_array_free(fa->slots, true);
	g_free(fa->bits);
	g_free(fa);
}

/* Main thread: probe (or the test's ops), then a harvester per slot. */
static void *feed_access_log_create(const AgingFeedEnv *env, Aging *a,
				    HostMemBackend *mem, unsigned sample,
				    GError **errp)
{
	FeedAccessLog *fa;
	uint64_t maxpages = 0;

	(void)sample;
	if (!env->access_log_ops &&
	    (!env->kvm || !access_log_probe(env->kvm, errp))) {
		if (!env->kvm)
			error_setg(errp, "the access-log backend needs a "
					 "machine with KVM");
		return NULL;
	}
	fa = g_new0(FeedAccessLog, 1);
	fa->a = a;
	fa->ops = env->access_log_ops ? env->access_log_ops :
					&access_log_kvm_ops;
	fa->opaque = env->access_log_ops ? env->access_log_opaque : env->kvm;
	fa->slots = g_array_new(false, true, sizeof(FeedAccessLogSlot));
	for (unsigned i = 0; env->dl && i < dirty_log_nr_slots(env->dl); i++) {
		const DirtyLogSlotInfo *si = dirty_log_slot_info(env->dl, i);
		FeedAccessLogSlot s = { .gpa = si->gpa };

		if (mem && si->bank->backend != mem)
			continue;
		s.ls = access_log_slot_new(si->slot, si->npages,
					   FEED_ACCESS_LOG_RANGE, errp);
		if (!s.ls) {
			feed_access_log_free(fa);
			return NULL;
		}
		g_array_append_val(fa->slots, s);
		maxpages = MAX(maxpages, si->npages);
	}
	fa->bits = g_new0(unsigned long, BITS_TO_LONGS(maxpages));
	return fa;
}

/* Test-and-clear one slot into fa->bits (accessed or skipped). */
static bool feed_access_log_harvest(FeedAccessLog *fa, AccessLogSlot *ls,
				    GError **errp)
{
	if (!access_log_slot_scan(ls, fa->ops, fa->opaque,
				  KVM_ACCESS_LOG_TEST_AND_CLEAR |
					  KVM_ACCESS_LOG_FAST_ONLY,
				  errp))
		return false;
	memset(fa->bits, 0, BITS_TO_LONGS(ls->npages) * sizeof(long));
	for (uint64_t p = 0; p < ls->npages; p++) {
		if (access_log_test_bit(ls->accessed, p) ||
		    access_log_test_bit(ls->skipped, p))
			bitmap_set_bit(fa->bits, p);
	}
	return true;
}

/* Drop the accessed bits from before now (a backend switch). */
static bool feed_access_log_rebase(void *state, GError **errp)
{
	FeedAccessLog *fa = state;

	for (guint i = 0; i < fa->slots->len; i++) {
		FeedAccessLogSlot *s =
			&g_array_index(fa->slots, FeedAccessLogSlot, i);

		if (!feed_access_log_harvest(fa, s->ls, errp))
			return false;
	}
	return true;
}

static bool feed_access_log_scan(void *state, unsigned ticks, GError **errp)
{
	FeedAccessLog *fa = state;
	AgingCost cost = { 0 };
	bool ok = true;

	/* Busy: the accessed bits wait in the kernel for the next scan. */
	if (!aging_scan_begin(fa->a, ticks))
		return true;
	for (guint i = 0; i < fa->slots->len && ok; i++) {
		FeedAccessLogSlot *s =
			&g_array_index(fa->slots, FeedAccessLogSlot, i);

		ok = feed_access_log_harvest(fa, s->ls, errp);
		if (ok)
			aging_update(fa->a, s->gpa, fa->bits, s->ls->npages);
		cost.pages += s->ls->npages;
	}
	aging_scan_end(fa->a, &cost);
	return ok;
}

static AgingCoverage feed_access_log_coverage(unsigned sample)
{
	(void)sample;
	return feed_access_log_cov;
}

const AgingFeedOps aging_feed_access_log = {
	.name = "access-log",
	.why = feed_access_log_why,
	.create = feed_access_log_create,
	.free = feed_access_log_free,
	.scan = feed_access_log_scan,
	.coverage = feed_access_log_coverage,
	.rebase = feed_access_log_rebase,
};
