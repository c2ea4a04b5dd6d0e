/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dirty-log feed: aging as one consumer of the machine's dirty log
 * (include/memory/dirty-log.h).  A scan harvests the slots of the
 * memdev, then hands each slot's bits to the aging core.  Sees writes
 * only.
 *
 * Locking: the scan runs on the harvest thread; it harvests before it
 * takes the Aging's lock (aging_scan_begin()), so a busy Aging skips the
 * scan and the bits wait in this consumer's bitmaps for the next one.
 */
#include <time.h>

#include "aging/feed.h"
#include "util/error.h"
#include "util/bitmap.h"

typedef struct FeedDirtyLog {
	DirtyLog *dl;
	Aging *a;
	DirtyLogClient *client;
	unsigned long *bits; /* a slot's bits, sized for the largest */
} FeedDirtyLog;

static const AgingCoverage feed_dirty_log_cov = {
	.backend = "dirty-log",
	.reads = false,
	.writes = true,
	.sampled = 1.0,
	.note = "the KVM dirty log records guest writes only: pages the "
		"guest only reads look idle",
};

static uint64_t feed_dirty_log_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *feed_dirty_log_why(const AgingFeedEnv *env,
				      const HostMemBackend *mem)
{
	(void)env;
	(void)mem;
	return NULL;
}

static void feed_dirty_log_free(void *state)
{
	FeedDirtyLog *fd = state;

	if (!fd)
		return;
	/* The last consumer turns logging off. */
	dirty_log_client_remove(fd->client);
	g_free(fd->bits);
	g_free(fd);
}

static void *feed_dirty_log_create(const AgingFeedEnv *env, Aging *a,
				   HostMemBackend *mem, unsigned sample,
				   GError **errp)
{
	FeedDirtyLog *fd;
	uint64_t maxpages = 0;

	(void)sample;
	if (!env->dl) {
		error_setg(errp, "the dirty-log backend needs a machine with "
				 "KVM");
		return NULL;
	}
	fd = g_new0(FeedDirtyLog, 1);
	fd->dl = env->dl;
	fd->a = a;
	fd->client = dirty_log_client_add(env->dl, aging_name(a), mem, errp);
	if (!fd->client) {
		g_free(fd);
		return NULL;
	}
	for (unsigned i = 0; i < dirty_log_nr_slots(fd->dl); i++)
		maxpages =
			MAX(maxpages, dirty_log_slot_info(fd->dl, i)->npages);
	fd->bits = g_new0(unsigned long, BITS_TO_LONGS(maxpages));
	return fd;
}

/*
 * Harvest now and drop this consumer's bits: they say "unknown history"
 * (all set) or hold writes from before a switch, so that the next scan
 * reports only writes from now on.  No scan running.
 */
static bool feed_dirty_log_rebase(void *state, GError **errp)
{
	FeedDirtyLog *fd = state;

	if (!dirty_log_client_sync(fd->client, NULL, errp))
		return false;
	for (unsigned i = 0; i < dirty_log_nr_slots(fd->dl); i++) {
		if (dirty_log_client_covers(fd->client, i))
			dirty_log_client_fetch(fd->client, i, NULL);
	}
	return true;
}

static bool feed_dirty_log_scan(void *state, unsigned ticks, GError **errp)
{
	FeedDirtyLog *fd = state;
	DirtyLogStats st;
	AgingCost cost = { 0 };
	uint64_t t0;

	if (!dirty_log_client_sync(fd->client, &st, errp))
		return false;
	/* Busy: the bits wait in our bitmaps for the next scan. */
	if (!aging_scan_begin(fd->a, ticks))
		return true;
	t0 = feed_dirty_log_now_ns();
	for (unsigned i = 0; i < dirty_log_nr_slots(fd->dl); i++) {
		const DirtyLogSlotInfo *si;

		if (!dirty_log_client_covers(fd->client, i))
			continue;
		si = dirty_log_client_fetch(fd->client, i, fd->bits);
		aging_update(fd->a, si->gpa, fd->bits, si->npages);
	}
	cost.kernel_ns = st.kernel_ns;
	cost.user_ns = st.user_ns + (feed_dirty_log_now_ns() - t0);
	cost.pages = st.pages;
	aging_scan_end(fd->a, &cost);
	return true;
}

static AgingCoverage feed_dirty_log_coverage(unsigned sample)
{
	(void)sample;
	return feed_dirty_log_cov;
}

const AgingFeedOps aging_feed_dirty_log = {
	.name = "dirty-log",
	.why = feed_dirty_log_why,
	.create = feed_dirty_log_create,
	.free = feed_dirty_log_free,
	.scan = feed_dirty_log_scan,
	.coverage = feed_dirty_log_coverage,
	.rebase = feed_dirty_log_rebase,
};
