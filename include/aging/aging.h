/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The aging core: an idle age for every guest page of one memdev, fed by
 * per-scan "accessed since the previous scan" bitmaps from any harvest
 * backend.  The core never knows which backend fed it; the backend
 * states what it can see in an AgingCoverage.
 *
 * An age is a claim: "this page was not touched (as the coverage sees
 * touches) for at least A".  Every figure the core reports, and every
 * page it hands to reclaim, is such a proven age, except the sampled
 * estimates, which say so (AgingStats.*_estimated, with a 95% error).
 *
 * Storage: per tracking unit (a backing page: 4 KiB, or a whole huge
 * page for hugetlb banks, counted once at its size) a uint16_t with the
 * number (mod 2^16) of the last scan that saw it accessed; a scan writes
 * only the units its bitmap marks, so a scan costs O(bitmap words + set
 * bits), independent of how many pages sit idle.  A sampling backend
 * adds a second uint16_t per unit (below).  Ages saturate at
 * AGING_AGE_MAX scans; whenever the scan number crosses a multiple of
 * AGING_SWEEP_SCANS one O(units) sweep clamps them, so none aliases.
 * A new memdev's pages start at age 0: nothing is called cold before it
 * was watched.
 *
 * Time: ages are counted in scans and converted to milliseconds through
 * the history of the interval (aging_set_interval() starts a new
 * segment), so a longer interval never stretches ages observed under a
 * shorter one.  Skipped scans count as the intervals they missed.
 *
 * Sampling (aging_set_sample()): a backend that re-arms only some units
 * at each scan (uffd sampled: the blocks of @block units whose block
 * index is phase mod @stride, one phase per scan) sees a unit's first
 * touch after its arming, and nothing until its next arming.  So the
 * last observed access does not prove idleness: the core also keeps,
 * per unit, the first arming at or after that access ("since"); the unit
 * is proven idle since then, and not at all while it was not re-armed
 * after its last observed access.  Arming is reported by the backend
 * (aging_sample_armed() for a phase, aging_arm() for explicit ranges,
 * which reclaim uses to confirm candidates).  Proven ages lag the truth
 * by at most one rotation (stride scans).  For thresholds of K scans,
 * 0 < K < stride, aging_query() also estimates the bytes idle K scans
 * from the cohort armed K scans ago (it answers "idle for K?" exactly
 * for each of its units), scaled to the memdev, with a 95% half-width
 * computed for cluster sampling (the blocks are the clusters; never
 * below the binomial error of the same number of units with the
 * (x + 2) / (n + 4) correction, so an all-hot or all-cold cohort still
 * states an error).  Unit index u counts from the start of each range,
 * which must be the backend's bank.
 *
 * Locking: an Aging has one mutex.  aging_scan_begin() takes it (trylock:
 * a contended scan is skipped and counted, never waited for),
 * aging_update() runs with it held and aging_scan_end() drops it.  The
 * query functions take it.  Nothing here is called from vCPU threads.
 */
#ifndef AGING_AGING_H
#define AGING_AGING_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "memory/ram.h"

#define AGING_AGE_MAX	   32768u /* saturation, in scans */
#define AGING_SWEEP_SCANS  8192u  /* clamp sweep period, in scans */
#define AGING_HIST_BINS	   16
#define AGING_HIST_BASE_MS 100
#define AGING_MAX_SEGMENTS 64 /* interval changes remembered */

/* What the backend can see. */
typedef struct AgingCoverage {
	const char *backend; /* "dirty-log", ... (static string) */
	bool reads;	     /* guest reads mark pages accessed */
	bool writes;	     /* guest writes mark pages accessed */
	double sampled;	     /* fraction of pages tracked per scan (1.0) */
	const char *note;    /* static: why something is invisible, or NULL */
} AgingCoverage;

/* Cost of one scan. */
typedef struct AgingCost {
	uint64_t kernel_ns; /* in harvest ioctls, measured by the caller */
	uint64_t user_ns;   /* userspace harvest work, core included */
	uint64_t core_ns;   /* of which aging_update(), measured by the core */
	uint64_t pages;	    /* 4 KiB pages covered by the scan */
	uint64_t written;   /* age entries written */
} AgingCost;

typedef struct AgingStats {
	uint64_t interval_ms;
	uint64_t scans;	  /* completed scans */
	uint64_t skipped; /* scans skipped because the state was busy */
	uint64_t total_bytes;
	uint64_t hist_bytes[AGING_HIST_BINS]; /* by proven age */
	/* Sampled: the bin is an estimate, +- this (95%) */
	bool hist_estimated[AGING_HIST_BINS];
	uint64_t hist_error[AGING_HIST_BINS];
	uint64_t cold_ms;	    /* threshold asked for */
	uint64_t cold_bytes;	    /* idle >= cold_ms (maybe estimated) */
	uint64_t proven_cold_bytes; /* proven idle >= cold_ms, per page */
	bool cold_estimated;	    /* from a sampled cohort, +- cold_error */
	uint64_t cold_error;	    /* 95% half-width in bytes */
	uint64_t cold_scans; /* estimated: the cohort's arming age in scans */
	AgingCost last_cost;
	AgingCoverage coverage;
} AgingStats;

typedef struct Aging Aging;

/*
 * Ages for the RAM banks of @ram backed by @backend (all RAM banks when
 * NULL).  @name is the memdev id, for messages.
 */
Aging *aging_new(const char *name, RamList *ram, HostMemBackend *backend,
		 uint64_t interval_ms, const AgingCoverage *cov, GError **errp);
void aging_free(Aging *a);
const char *aging_name(Aging *a);

/*
 * Scans from now on are @interval_ms apart.  Ages already recorded keep
 * the time they stand for (see "Time" above).  Takes the lock.
 */
void aging_set_interval(Aging *a, uint64_t interval_ms);
/*
 * Replace the coverage reported by aging_query() (a backend switch: the
 * ages are kept, what the new backend sees is stated).  A backend that
 * sees reads after one that did not cannot vouch for the past: every
 * age restarts at 0.  Takes the lock.
 */
void aging_set_coverage(Aging *a, const AgingCoverage *cov);
/*
 * The scan number of the last such restart (0: none): from an older
 * scan on, "accessed after scan S" no longer tells (every page looks
 * accessed at the restart).  Takes the lock.
 */
uint64_t aging_restarted(Aging *a);

/*
 * Sampling: the backend re-arms, at each scan, the blocks of @block
 * units whose block index (from the start of each range) is the scan's
 * phase mod @stride.  @stride <= 1 ends sampling (every unit at every
 * scan): the proven ages become the ages.  Entering sampling, units
 * keep their ages as proofs when the coverage sees reads (the previous
 * backend watched every unit), and are not proven otherwise.  Then
 * @all_armed: the backend has just armed every unit; else it armed
 * phase 0.  Forgets earlier phase armings.  Outside scans; takes the
 * lock.
 */
void aging_set_sample(Aging *a, unsigned stride, unsigned block,
		      bool all_armed);
/* Between scan begin and end: phase @phase was armed in this scan. */
void aging_sample_armed(Aging *a, unsigned phase);

/*
 * Explicit arming (reclaim's confirmation): the backend arms the 4 KiB
 * range [@gpa, @gpa + @size) (uffd: unmaps it from the guest so its
 * next touch faults).  Called with the Aging's lock held, so never
 * during a scan.  Set by a sampling backend, cleared (NULL) when it
 * goes; a backend that watches every unit at every scan has none.
 */
typedef bool (*AgingArmFn)(void *opaque, uint64_t gpa, uint64_t size,
			   GError **errp);
void aging_set_arm(Aging *a, AgingArmFn fn, void *opaque);

/*
 * Whether a backend is harvesting (false while disabled: ages then stand
 * still and show nothing new).  Each change to false bumps the epoch, so
 * a user of the ages (a reclaim job) can tell that it missed accesses.
 * Takes the lock.
 */
void aging_set_watching(Aging *a, bool watching);
bool aging_watching(Aging *a, uint64_t *epoch);

/* Add one range explicitly (aging_new() adds the banks); pure. */
bool aging_add_range(Aging *a, uint64_t gpa, uint64_t size, uint64_t page_size,
		     GError **errp);

/*
 * Start a scan that is @ticks intervals after the previous one (1
 * normally, more after skips; clamped to 1..AGING_SWEEP_SCANS).  Takes the
 * lock with a trylock: returns false if it is busy, counting a skip (then
 * do not call update/end).  Harvest thread.
 */
bool aging_scan_begin(Aging *a, unsigned ticks);
/*
 * Mark accessed the pages whose bits are set in @bitmap (bit i: the 4 KiB
 * page at @gpa + i * 4096), @npages bits.  Pages outside the memdev are
 * ignored.  Returns the age entries written.  Between begin and end.
 */
uint64_t aging_update(Aging *a, uint64_t gpa, const unsigned long *bitmap,
		      uint64_t npages);
/* Finish the scan with the caller's costs (core_ns is filled in). */
void aging_scan_end(Aging *a, const AgingCost *cost);

/* Histogram and counters; cold bytes are those idle >= @cold_ms. */
void aging_query(Aging *a, uint64_t cold_ms, AgingStats *st);
/*
 * The completed scans and the cost of the last one (its written entries
 * are the units seen accessed), without aging_query()'s walk: for a
 * per-scan log.  Takes the lock.
 */
uint64_t aging_last_scan(Aging *a, AgingCost *cost);
/* Lower edge of histogram bin @bin in ms. */
uint64_t aging_hist_edge_ms(unsigned bin);

/*
 * For reclaim (include/reclaim/reclaim.h): choose proven cold runs,
 * confirm candidates, re-check runs just before they are advised, and
 * read the ages of a run.  A "scan number" counts intervals since the
 * Aging was created (skipped scans included); a page was accessed after
 * scan S if the last scan that saw it accessed is later than S.
 *
 * Locking: each function takes the Aging's lock for the duration of its
 * walk and drops it before returning.  The harvest thread holds the same
 * lock from aging_scan_begin() to aging_scan_end() and takes it with a
 * trylock, so a walk here waits at most for one scan's update to end and
 * makes at most one scan be skipped (and counted) while it runs.  Walks
 * are O(pages of the run) for the re-check and the ages, O(units of the
 * memdev) for the selection, the confirmation and the working set.
 */

/* A run of contiguous guest pages chosen as cold. */
typedef struct AgingRun {
	uint64_t gpa;
	uint64_t size;	  /* bytes, a multiple of the unit (page) size */
	unsigned min_age; /* youngest page of the run, in scans */
	unsigned max_age; /* oldest page of the run, in scans */
} AgingRun;

/* Milliseconds per scan now. */
uint64_t aging_interval_ms(Aging *a);
/* The current scan number. */
uint64_t aging_now(Aging *a);
/* Fewest scans whose intervals cover @ms (AGING_AGE_MAX + 1: too many). */
unsigned aging_ms_to_scans(Aging *a, uint64_t ms);

/*
 * The proven cold runs of the memdev, oldest first (by min_age, then
 * gpa), in an array of AgingRun; *@scan gets the scan number they were
 * chosen at.  @target_bytes 0: every page proven idle for at least
 * @min_age scans.  Otherwise coldest first among those: the cutoff age
 * is the highest age A such that the pages of proven age >= A hold at
 * least @target_bytes; all pages older than A are taken, then pages of
 * age exactly A in address order until @target_bytes is reached (or all
 * of them when fewer exist).  Runs never cross a range boundary.
 */
GArray *aging_select_cold(Aging *a, unsigned min_age, uint64_t target_bytes,
			  uint64_t *scan);

/* Bytes of the memdev by what its ages prove about @min_age scans. */
typedef struct AgingSplit {
	uint64_t proven;    /* proven idle >= min_age */
	uint64_t candidate; /* not proven, but not seen accessed either */
	uint64_t armed;	    /* of the candidates: armed, proof under way */
} AgingSplit;

/*
 * Confirmation (sampled backends): the candidates are the units not seen
 * accessed for @min_seen scans (@min_seen <= @min_age) but not proven
 * idle @min_age scans (not re-armed since their last observed access,
 * or armed too recently).  Appends every candidate, in contiguous runs,
 * to @cands (AgingRun, may be NULL).  With @arm, arms through the
 * backend's AgingArmFn those not armed since their last observed
 * access; *@ready gets the scan number from which every armed candidate
 * that stays untouched is proven idle @min_age scans (the current one if
 * none).  @split gets the figures (proven: idle @min_age scans).
 * Without @arm or an AgingArmFn nothing is armed.  False with @errp set
 * if the backend failed to arm a run (units armed before it stay armed:
 * harmless).
 */
bool aging_confirm(Aging *a, unsigned min_seen, unsigned min_age, bool arm,
		   AgingSplit *split, GArray *cands, uint64_t *ready,
		   GError **errp);
/*
 * After a confirmation: the units of the runs @in (from aging_confirm())
 * proven idle for @min_age scans, in address order, up to @budget bytes
 * (0: all), as runs; *@scan gets the scan number.  Of the others, those
 * seen accessed after scan @since are added to *@hot, the rest to
 * *@unproven (bytes).
 */
GArray *aging_select_in(Aging *a, unsigned min_age, const GArray *in,
			uint64_t budget, uint64_t since, uint64_t *scan,
			uint64_t *hot, uint64_t *unproven);
/*
 * The highest age A (at least 1) such that the units not seen accessed
 * for A scans hold @target bytes: how long the coldest @target bytes
 * look idle, proven or not.
 */
unsigned aging_seen_cutoff(Aging *a, uint64_t target);
/* What the backend in use sees, and whether it samples. */
void aging_get_coverage(Aging *a, AgingCoverage *cov, bool *sampled);

/*
 * Set bit i of @accessed (@size / 4 KiB bits, all overwritten) for
 * each 4 KiB page of [@gpa, @gpa + @size) that aging saw accessed after
 * scan @scan; returns how many.  Pages the memdev does not age count as
 * accessed (never advise what is not watched).  Once @scan is
 * AGING_AGE_MAX scans old ages no longer tell, and every page counts as
 * accessed.
 */
uint64_t aging_run_accessed_since(Aging *a, uint64_t gpa, uint64_t size,
				  uint64_t scan, unsigned long *accessed);

/*
 * Scans since the last observed access of each 4 KiB page of [@gpa,
 * @gpa + @npages pages) into @ages (UINT16_MAX for a page not aged);
 * *@now gets the scan number.
 */
void aging_run_ages(Aging *a, uint64_t gpa, uint64_t npages, uint16_t *ages,
		    uint64_t *now);

/*
 * Export and import (migration): the proven ages of one bank in
 * milliseconds, per tracking unit (a backing page).  aging_export()
 * gives, for the range starting at @gpa, each unit's proven age as the
 * time its scans stand for in @a's interval history.  aging_import()
 * rebases them onto the receiver's scan counter and interval history:
 * each becomes the most scans whose intervals fit in the milliseconds
 * (rounded down, at most AGING_AGE_MAX), so an imported age may be
 * shorter than exported, never longer.  A unit the receiver itself saw
 * accessed keeps the younger of its own proven age and the import; a
 * unit it has not seen accessed since it started watching takes the
 * import (its own age only counts scans of a guest that ran elsewhere).
 * The bank must have the same address, unit size and units on both
 * sides, else the import fails and changes nothing.  An imported age is a
 * proof only if the receiver's feed has watched every unit since the
 * guest last ran on the sender: import at switch-over, after the feed
 * has started and before the guest runs here.  Both take the lock.
 */
typedef struct AgingAges {
	uint64_t gpa;	    /* the bank's guest-physical start */
	uint64_t unit_size; /* bytes per unit (the bank's page size) */
	uint64_t nr_units;
	uint64_t *age_ms; /* per unit: proven idle for at least this */
} AgingAges;

AgingAges *aging_export(Aging *a, uint64_t gpa, GError **errp);
bool aging_import(Aging *a, const AgingAges *ages, GError **errp);
void aging_ages_free(AgingAges *ages);

/* Bytes not proven idle for @ms: the working set of the last @ms. */
uint64_t aging_bytes_accessed_within(Aging *a, uint64_t ms);

/*
 * Harvest thread: calls @scan every @interval_ms on its own GThread until
 * aging_stop().  @scan harvests and feeds its Agings (begin/update/end);
 * an error is counted and logged once, the thread goes on.
 */
typedef bool (*AgingScanFn)(void *opaque, unsigned ticks, GError **errp);
typedef struct AgingThread AgingThread;

AgingThread *aging_start(const char *name, uint64_t interval_ms,
			 AgingScanFn scan, void *opaque, GError **errp);
/* Stop and join; returns the number of scans run.  Any thread but it. */
uint64_t aging_stop(AgingThread *t);

#endif
