/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Harvest feeds: what tells the aging core which pages were accessed at
 * each scan.  Every feed sits behind one ops table, so the memory-aging
 * objects, the QMP commands and the tests hold an AgingFeed and never
 * switch on the backend:
 *
 *   dirty-log   (feed-dirty-log.c)  a consumer of the machine's dirty log
 *               (include/memory/dirty-log.h); writes only, any RAM.
 *   uffd        (feed-uffd.c)       userfaultfd minor faults on shared
 *               memory (memory/uffd-track.h); reads and writes, sampled.
 *   access-log  (feed-access-log.c) the proposed KVM_GET_ACCESS_LOG
 *               (accel/access-log.h); KVM_CAP_ACCESS_LOG is missing on
 *               every kernel today, so creating it fails with
 *               KVMAGE_ERROR_KVM_MISSING_CAP.
 *
 * A scan is one pass: the feed harvests its source and calls the core
 * (aging_scan_begin(), aging_update() per range, aging_scan_end()).
 *
 * Locking: a feed's scan runs on one thread at a time (the harvest
 * thread).  Create, free, set_sample and rebase run in the main thread
 * while no scan runs (the harvest thread stopped).  The Aging is shared
 * under its own lock (include/aging/aging.h) and outlives the feed.
 */
#ifndef AGING_FEED_H
#define AGING_FEED_H

#include <stdbool.h>
#include <glib.h>

#include "accel/access-log.h"
#include "accel/kvm.h"
#include "aging/aging.h"
#include "memory/dirty-log.h"
#include "memory/ram.h"
#include "memory/uffd-track.h"

/* What a feed may use: the machine's KVM, RAM and dirty log. */
typedef struct AgingFeedEnv {
	KvmState *kvm; /* NULL: no VM (machine none, unit tests) */
	RamList *ram;
	DirtyLog *dl; /* the machine's dirty log (its memslot table) */
	/* access-log: the ioctls (NULL: KVM's, after probing @kvm) */
	const AccessLogOps *access_log_ops;
	void *access_log_opaque;
} AgingFeedEnv;

typedef struct AgingFeedOps {
	const char *name; /* "dirty-log", "uffd", "access-log" */
	/* Why it cannot watch @mem (static string), or NULL if it can. */
	const char *(*why)(const AgingFeedEnv *env, const HostMemBackend *mem);
	/*
	 * Feed @a from the RAM banks of @mem (all when NULL), re-arming 1
	 * unit in @sample per scan where the feed samples.  Returns the
	 * feed's state, or NULL with @errp set.
	 */
	void *(*create)(const AgingFeedEnv *env, Aging *a, HostMemBackend *mem,
			unsigned sample, GError **errp);
	void (*free)(void *state);
	/* One scan (begin, update, end), @ticks intervals after the last. */
	bool (*scan)(void *state, unsigned ticks, GError **errp);
	/* What it sees at @sample (1: every unit each scan). */
	AgingCoverage (*coverage)(unsigned sample);
	/* Switch to 1 unit in @sample; NULL: the feed does not sample. */
	bool (*set_sample)(void *state, unsigned sample, GError **errp);
	/*
	 * The Aging already holds ages (a backend switch): drop what the
	 * first scan would report from before now.  NULL: nothing to drop.
	 */
	bool (*rebase)(void *state, GError **errp);
} AgingFeedOps;

extern const AgingFeedOps aging_feed_dirty_log;
extern const AgingFeedOps aging_feed_uffd;
extern const AgingFeedOps aging_feed_access_log;

/* A feed in use. */
typedef struct AgingFeed {
	const AgingFeedOps *ops; /* NULL: none */
	void *state;
	unsigned sample; /* 1: every unit each scan */
} AgingFeed;

/*
 * Build @ops's feed of @a into @f (see AgingFeedOps.create); with
 * @rebase, also drop what it would report from before now.  On failure
 * @f is left empty.  Main thread.
 */
bool aging_feed_new(AgingFeed *f, const AgingFeedOps *ops,
		    const AgingFeedEnv *env, Aging *a, HostMemBackend *mem,
		    unsigned sample, bool rebase, GError **errp);
/* Free @f's state and leave it empty; idempotent.  No scan running. */
void aging_feed_free(AgingFeed *f);
/* One scan of @f (an AgingScanFn: pass to aging_start() with @f). */
bool aging_feed_scan(void *f, unsigned ticks, GError **errp);
/* What @f sees. */
AgingCoverage aging_feed_coverage(const AgingFeed *f);
/* Switch @f to 1 unit in @sample (only feeds with set_sample). */
bool aging_feed_set_sample(AgingFeed *f, unsigned sample, GError **errp);

/*
 * uffd: the summed tracker counters (faults, zaps, costs) of @f's banks,
 * zero for other feeds.  "-d aging" logs them per scan
 * (aging/aging-object.c); the tests read them to prove that kvmage's own
 * accesses never fault.  Harvest thread, or no scan running.
 */
void aging_feed_uffd_stats(const AgingFeed *f, UffdTrackStats *st);

#endif
