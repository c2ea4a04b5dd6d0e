/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The aging core: an idle age for every guest page of one memdev, fed by
 * per-scan "accessed since the previous scan" bitmaps from any harvest
 * backend (dirty-log today).  The core never knows which backend fed it;
 * the backend states what it can see in an AgingCoverage.
 *
 * Storage: one uint16_t per tracking unit holding the number (mod 2^16)
 * of the last scan that saw the unit accessed.  A unit is a backing page:
 * 4 KiB normally, a whole huge page (e.g. 2 MiB) for hugetlb banks, so a
 * huge page is counted once at its size.  That is at most 2 bytes per
 * 4 KiB page.  The age in scans is (uint16_t)(now - last).
 *
 * Cost: because the age is implicit, a scan writes only the units its
 * bitmap marks accessed.  aging_update() walks the bitmap a word at a
 * time and visits only set bits: O(bitmap words + set bits), independent
 * of how many pages sit idle.  Advancing the scan number is O(1).
 *
 * Wrap: ages saturate at AGING_AGE_MAX scans.  Whenever the scan number
 * crosses a multiple of AGING_SWEEP_SCANS, one O(units) sweep clamps every
 * age above AGING_AGE_MAX back to it, so no age ever reaches 2^16 and
 * aliases (max before a sweep: 32768 + 2 * 8192 - 1 < 65536).  Amortised
 * that is one unit touch per 8192 scans.
 *
 * Start: a new memdev's pages start at age 0 ("just seen"): a backend that
 * cannot see the past never reports cold what it has not observed.
 *
 * Histogram (per memdev, in milliseconds, age * interval): bins grow
 * exponentially like MGLRU's working-set histogram.  Bin 0 is
 * [0, 100 ms), bin k (1..14) is [100 * 2^(k-1), 100 * 2^k) ms, bin 15 is
 * [1638400 ms, infinity), which also holds saturated ages.
 *
 * Sampling (aging_set_sample()): a backend that re-arms only the units
 * u % stride == phase of every range at each scan (uffd sampled) sees a
 * unit's first touch after its arming, and nothing else.  A unit's age
 * then has a resolution of stride scans, but the cohort armed exactly K
 * scans ago (K < stride) answers "idle for at least K scans?" exactly for
 * each of its units: yes iff no access was reported since its arming
 * (age >= K).  aging_query() answers a threshold of K scans (K =
 * ceil(ms / interval)), 0 < K < stride, from that cohort, a systematic
 * 1/stride sample: it scales the cohort's idle fraction to the memdev and
 * states a 95% confidence half-width (binomial standard error with the
 * finite-population correction; the variance uses (x + 2) / (n + 4)
 * rather than x / n so that an all-hot or all-cold cohort still states a
 * non-zero error).  When no cohort has been armed K scans ago yet, or K
 * >= stride, the per-page ages answer (no error stated).  After skipped
 * scans the youngest cohort armed at least K scans ago answers (a
 * slightly higher threshold: it can only under-count cold bytes).  The
 * unit index u counts from the start of each range, which must be the
 * backend's bank (the tracker's page index).
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

#include "system/ram.h"

#define AGING_AGE_MAX	   32768u /* saturation, in scans */
#define AGING_SWEEP_SCANS  8192u  /* clamp sweep period, in scans */
#define AGING_HIST_BINS	   16
#define AGING_HIST_BASE_MS 100
#define AGING_PAGE_SHIFT   12

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
	uint64_t hist_bytes[AGING_HIST_BINS];
	/* Sampled: the bin is an estimate, +- this (95%) */
	bool hist_estimated[AGING_HIST_BINS];
	uint64_t hist_error[AGING_HIST_BINS];
	uint64_t cold_ms; /* threshold asked for */
	uint64_t cold_bytes;
	bool cold_estimated; /* from a sampled cohort, +- cold_error */
	uint64_t cold_error; /* 95% half-width in bytes */
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
 * Change the interval the histogram converts ages in scans with.  Ages
 * already recorded are in scans, so they are rescaled to @interval_ms.
 * Takes the lock (waits for a scan in progress, which is bounded).
 */
void aging_set_interval(Aging *a, uint64_t interval_ms);
/*
 * Replace the coverage reported by aging_query() (a backend switch: the
 * ages are kept, what the new backend sees is stated).  Takes the lock.
 */
void aging_set_coverage(Aging *a, const AgingCoverage *cov);

/*
 * The backend re-arms the units u % @stride == phase of each range at each
 * scan and has just armed phase @armed (outside a scan; e.g. at set-up).
 * @stride <= 1: no sampling (the default), ages answer every query.
 * Forgets earlier armings.  Takes the lock.
 */
void aging_set_sample(Aging *a, unsigned stride, unsigned armed);
/* Between scan begin and end: phase @phase was armed in this scan. */
void aging_sample_armed(Aging *a, unsigned phase);

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
/* Does [gpa, gpa + npages pages) overlap the memdev?  No lock (fixed). */
bool aging_covers(Aging *a, uint64_t gpa, uint64_t npages);
/* Finish the scan with the caller's costs (core_ns is filled in). */
void aging_scan_end(Aging *a, const AgingCost *cost);

/* Histogram and counters; cold bytes are those idle >= @cold_ms. */
void aging_query(Aging *a, uint64_t cold_ms, AgingStats *st);
/* Age in scans of the page holding @gpa, or -1 if not tracked. */
int aging_page_age(Aging *a, uint64_t gpa);
/* Lower edge of histogram bin @bin in ms. */
uint64_t aging_hist_edge_ms(unsigned bin);
/* Bin of an idle time of @ms. */
unsigned aging_hist_bin(uint64_t ms);

/*
 * For reclaim (include/reclaim/reclaim.h): choose cold runs, re-check
 * them just before they are advised, and read the ages of a run.  A
 * "scan number" counts intervals since the Aging was created (skipped
 * scans included); a page was accessed after scan S if the last scan
 * that saw it accessed is later than S.
 *
 * Locking: each function takes the Aging's lock for the duration of its
 * walk and drops it before returning.  The harvest thread holds the same
 * lock from aging_scan_begin() to aging_scan_end() and takes it with a
 * trylock, so a walk here waits at most for one scan's update to end and
 * makes at most one scan be skipped (and counted) while it runs.  Walks
 * are O(pages of the run) for the re-check and the ages, O(units of the
 * memdev) for the selection and the working set.
 */

/* A run of contiguous guest pages chosen as cold. */
typedef struct AgingRun {
	uint64_t gpa;
	uint64_t size;	  /* bytes, a multiple of the unit (page) size */
	unsigned min_age; /* youngest page of the run, in scans */
	unsigned max_age; /* oldest page of the run, in scans */
} AgingRun;

/* Milliseconds per scan. */
uint64_t aging_interval_ms(Aging *a);
/* The current scan number. */
uint64_t aging_now(Aging *a);

/*
 * The cold runs of the memdev, oldest first (by min_age, then gpa), in an
 * array of AgingRun; *@scan gets the scan number they were chosen at.
 * @target_bytes 0: every page whose age is at least @min_age scans.
 * Otherwise coldest first among those: the cutoff age is the highest age
 * A such that the pages of age >= A hold at least @target_bytes; all
 * pages older than A are taken, then pages of age exactly A in address
 * order until @target_bytes is reached (or all of them when fewer exist).
 * Runs never cross a range boundary.
 */
GArray *aging_select_cold(Aging *a, unsigned min_age, uint64_t target_bytes,
			  uint64_t *scan);

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
 * Age in scans of each 4 KiB page of [@gpa, @gpa + @npages pages) into
 * @ages (UINT16_MAX for a page not aged); *@now gets the scan number.
 */
void aging_run_ages(Aging *a, uint64_t gpa, uint64_t npages, uint16_t *ages,
		    uint64_t *now);

/* Bytes accessed less than @ms ago (ages below @ms / interval). */
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
