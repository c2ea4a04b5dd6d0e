/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Proactive reclaim of cold guest memory (QMP memory-reclaim, a job of
 * type memory-reclaim; docs/system/reclaim.rst).
 *
 * Only pages whose idleness the aging has observed are advised: by
 * min-age-ms, pages proven idle that long; by target-bytes, the coldest
 * proven pages, never one seen accessed within the last interval.  A
 * reclaim of one memdev:
 *   plan      stage A: the pages proven idle now (aging_select_cold());
 *   confirm   a sampling backend proves idleness only from a page's
 *             first arming after its last observed access, so pages not
 *             seen accessed for min-age-ms may still be unproven (the
 *             candidates).  With confirm (the default, not in dry runs)
 *             the candidates are armed at once (aging_confirm(): their
 *             next touch is seen); after stage A the job waits until
 *             they could have been idle min-age-ms (one interval for
 *             target-bytes, only when stage A fell short) and stage B
 *             takes those that were not touched.  Candidates touched
 *             meanwhile are "hot", those never proven "unproven";
 *   batches   each stage's runs are cut into pieces of at most a batch's
 *             bytes (RECLAIM_BATCH_MAX, less under a rate limit) and
 *             submitted RECLAIM_BATCH_REQS ranges at a time through the
 *             madvise ring (io_uring, or madvise()).  Right before a
 *             batch is submitted each piece is re-checked against the
 *             aging: pages seen accessed after the plan are skipped
 *             ("raced"), as are pages not present (absent, or already in
 *             swap: DAMON or an earlier reclaim put them there, not this
 *             job).  Before each batch the job also checks that the
 *             aging still watches (memory-aging-set enable=false stops
 *             the job: it could no longer re-check), that it still sees
 *             reads (unless allow-write-only) and that swap keeps a
 *             reserve (RECLAIM_SWAP_RESERVE);
 *   result    measured afterwards from residency: of the advised bytes,
 *             how many are now in swap; why anything fell short.
 * Ages that see writes only (dirty-log) prove nothing about reads:
 * reclaim refuses them unless the caller accepts it (allow-write-only).
 * A dry run plans and measures the residency of stage A, and changes
 * nothing (candidates are reported unproven).
 *
 * Shared memdevs (memfd, file share=on): MADV_PAGEOUT only pages out a
 * page mapped exactly once, through the advised range's page-table
 * entries, and the uffd aging keeps zapping the guest view's entries.
 * So shared pages are advised through the bank's alias (host_alias,
 * include/memory/ram.h): MADV_DONTNEED on the guest range (entries only,
 * the page cache keeps the data), MADV_POPULATE_READ on the alias range
 * (maps those pages there once; only pages present are advised, so
 * nothing is swapped in), then the advice on the alias range.
 *
 * Refaults: pages a pageout advised are watched until the guest touches
 * them again (seen by the aging: accessed after the reclaim; or by
 * residency: confirmed in swap after the job, present again later, or
 * present again when a later job advises them anew).  Watching costs
 * O(reclaimed pages) per poll, not O(memdev).
 *
 * Locking: reclaim_setup()/reclaim_teardown() and the QMP entry points
 * run in the main thread.  Each memdev's state (running job, last result,
 * totals, refaults) is protected by its own mutex, taken by the job
 * thread when it stores a result and by queries.  The job thread never
 * holds it while advising.
 */
#ifndef RECLAIM_RECLAIM_H
#define RECLAIM_RECLAIM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qapi-types.h"
#include "backends/hostmem.h"
#include "memory/ram.h"

#define RECLAIM_BATCH_MAX      (32ULL << 20) /* bytes per batch at most */
#define RECLAIM_BATCH_MIN      (64ULL << 10) /* ... and at least */
#define RECLAIM_BATCH_REQS     64	     /* madvise ranges per batch */
#define RECLAIM_SLEEP_STEP     20	     /* ms: rate-limit sleep slices */
/* swap left free for the host: total / 16, at most this many bytes */
#define RECLAIM_SWAP_RESERVE   (64ULL << 20)
#define RECLAIM_RATE_WINDOW_MS 60000 /* promotion rate: one minute */

/*
 * Make reclaim available for the RAM banks of @ram.  Ages are those on
 * each bank's backend (HostMemBackend.ages, set by a memory-aging
 * object); a memory-reclaim of a memdev without them fails, saying why.
 * Main thread, once the machine exists.
 */
void reclaim_setup(RamList *ram);
/*
 * Forget everything (main thread, machine teardown).  Reclaim jobs must be
 * gone (job_shutdown()) before, as must the RAM and aging objects after.
 */
void reclaim_teardown(void);

/* A memory-reclaim request, defaults applied (see qapi/reclaim.json). */
typedef struct ReclaimRequest {
	const char *job_id;
	const char *memdev; /* NULL: the only aged memdev */
	bool has_min_age;
	int64_t min_age_ms;
	bool has_target;
	int64_t target_bytes;
	MemoryReclaimAdvice advice;
	int64_t rate_limit; /* 0: no limit */
	bool dry_run;
	bool confirm;
	bool allow_write_only;
	bool auto_finalize;
	bool auto_dismiss;
} ReclaimRequest;

/* The QMP command memory-reclaim.  Main thread. */
bool reclaim_start(const ReclaimRequest *req, GError **errp);

/*
 * A check a higher layer installs (migration: no reclaim may start while
 * a migration runs): @fn returns NULL to allow a new job, or why not,
 * which memory-reclaim reports.  Main thread, before any QMP command.
 */
typedef const char *(*ReclaimBlocker)(void);
void reclaim_set_blocker(ReclaimBlocker fn);

/* query-memory-reclaim.  Main thread. */
MemoryReclaimInfoList *reclaim_query(GError **errp);

/*
 * The engine, without the job model (reclaim-job.c binds it to jobs;
 * tests drive it directly).
 */
typedef struct Aging Aging;
typedef struct ReclaimRefaults ReclaimRefaults;

typedef struct ReclaimTarget {
	const char *memdev;
	RamList *ram; /* read-only while vCPUs run */
	HostMemBackend *be;
	Aging *a;
} ReclaimTarget;

typedef struct ReclaimParams {
	uint64_t min_age_ms;   /* used when target_bytes is 0 */
	uint64_t target_bytes; /* 0: reclaim by age */
	int advice;	       /* MADV_PAGEOUT or MADV_COLD */
	uint64_t rate_limit;   /* bytes of the plan per second, 0: none */
	bool dry_run;
	bool no_confirm;       /* do not arm and wait for candidates */
	bool allow_write_only; /* act on ages that do not see reads */
} ReclaimParams;

typedef struct ReclaimStats {
	uint64_t requested, selected, advised, would_advise, swapped;
	uint64_t skipped_hot, unproven, raced, absent, already_swapped;
	uint64_t unswappable, failed, not_reached;
	uint64_t confirmed;  /* of selected: proven by the confirmation */
	uint64_t confirm_ns; /* time spent waiting for it */
	uint64_t batches, duration_ns, thp_splits;
	uint64_t swap_free;  /* at the end, bytes (pageout) */
	uint64_t swap_room;  /* swap usable when it filled up */
	bool uring;	     /* io_uring used */
	bool hugetlb;	     /* unswappable because of hugetlb */
	bool cancelled;	     /* stopped by a cancel */
	bool swap_full;	     /* stopped for lack of swap */
	bool aging_stopped;  /* stopped: the aging stopped watching */
	bool reads;	     /* the ages saw reads (else writes only) */
	bool sampled;	     /* the ages came from a sampling backend */
	const char *backend; /* the aging backend at the plan (static) */
	int first_errno;     /* of the first failed madvise, or 0 */
} ReclaimStats;

/* How the engine talks to its job; every hook is optional. */
typedef struct ReclaimHooks {
	bool (*yield)(void *opaque); /* between batches; false: cancelled */
	bool (*cancelled)(void *opaque);
	void (*set_total)(void *opaque, uint64_t bytes);
	void (*progress)(void *opaque, uint64_t bytes);
	/* the figures so far, after each batch and at the end */
	void (*publish)(void *opaque, const ReclaimStats *st);
	void *opaque;
} ReclaimHooks;

/*
 * Can reclaim act on the ages of @a?  They must be harvested now, and
 * see reads unless @allow_write_only.  The error names @memdev and what
 * to do.  Any thread.
 */
bool reclaim_ages_usable(const char *memdev, Aging *a, bool allow_write_only,
			 GError **errp);

/*
 * Run one reclaim of @t (see the top of this file) on the caller's
 * thread; @st is zeroed and filled.  Pageout without swap, an aging that
 * is not watching, and ages that see writes only (unless
 * allow_write_only) are refused up front (unless dry run for swap).  Pages advised with pageout are added to @rf
 * (may be NULL) for refault counting.  Returns false with @errp set when
 * an error stopped it (@st then holds what was done); a cancel is not an
 * error (st->cancelled).
 */
bool reclaim_run(const ReclaimTarget *t, const ReclaimParams *p,
		 const ReclaimHooks *h, ReclaimRefaults *rf, ReclaimStats *st,
		 GError **errp);

/*
 * Refaults of one memdev: the pages reclaimed with pageout, watched until
 * the guest touches them again.  Locking: none inside; the caller
 * serialises (reclaim-job.c holds the memdev's lock).
 */
typedef struct ReclaimRefaultStats {
	uint64_t watched;   /* bytes reclaimed and not refaulted yet */
	uint64_t refaulted; /* = by_aging + by_residency */
	uint64_t by_aging, by_residency;
	uint64_t last_minute; /* refaulted in the last RATE_WINDOW */
} ReclaimRefaultStats;

ReclaimRefaults *reclaim_refaults_new(void);
void reclaim_refaults_free(ReclaimRefaults *rf);
/*
 * Watch @npages pages from @gpa advised at scan @scan; @swapped (may be
 * NULL) marks those confirmed in swap afterwards.  Pages already watched
 * by an older entry move to this one (a page counts once per reclaim).
 * A page of an older entry that was confirmed in swap is present again
 * if it was advised anew: that is counted as a refault first.
 */
void reclaim_refaults_add(ReclaimRefaults *rf, uint64_t gpa, uint64_t npages,
			  const unsigned long *swapped, uint64_t scan);
/*
 * Move every entry of @src into @dst (as by add, in order); empties @src.
 * @dst is polled through @a (may be NULL) first, so that the older
 * entries' refaults are counted before any of their pages moves.
 */
void reclaim_refaults_take(ReclaimRefaults *dst, ReclaimRefaults *src,
			   Aging *a);
/*
 * Look for refaults: through @a's ages, then through residency (@ram).
 * O(watched pages).  Residency errors are ignored (the figures then rely
 * on the aging alone) and reported once through g_warning().
 */
void reclaim_refaults_poll(ReclaimRefaults *rf, Aging *a, RamList *ram);
void reclaim_refaults_stats(ReclaimRefaults *rf, ReclaimRefaultStats *out);

/* Swap as /proc/meminfo reports it. */
typedef struct ReclaimSwap {
	uint64_t total; /* bytes */
	uint64_t free;	/* bytes */
} ReclaimSwap;

/*
 * Read SwapTotal and SwapFree.  The file is /proc/meminfo, or the one
 * named by KVMAGE_TEST_MEMINFO (test only: lets tests play "no swap" and
 * "swap full" without touching the host's swap).  Any thread.
 */
bool reclaim_swap_read(ReclaimSwap *out, GError **errp);
/* Host-wide THP splits so far (/proc/vmstat thp_split_page), or 0. */
uint64_t reclaim_thp_splits(void);

#endif
