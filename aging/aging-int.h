/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the aging core shared by aging.c (ranges, scans,
 * sampling, intervals), aging-query.c (histogram, estimates) and
 * aging-select.c (what reclaim asks).  Not an interface:
 * include/aging/aging.h is.
 *
 * Locking: every field of struct Aging but the atomics is protected by
 * Aging.lock; each helper here expects it held.
 */
#ifndef AGING_AGING_INT_H
#define AGING_AGING_INT_H

#include "aging/aging.h"
#include "util/bitmap.h"

#define AGING_NEVER UINT64_MAX /* a phase not armed yet */

typedef struct AgingRange {
	uint64_t gpa;
	uint64_t size;
	uint64_t page_size;
	unsigned unit_shift; /* log2(page_size / 4 KiB) */
	uint64_t nr_units;
	uint16_t *last;	 /* scan number of the last observed access */
	uint16_t *since; /* sampled: first arming at or after @last */
} AgingRange;

/* From scan @scan on, a scan interval was @interval_ms. */
typedef struct AgingSegment {
	uint64_t scan;
	uint64_t interval_ms;
} AgingSegment;

struct Aging {
	char *name;
	GMutex lock;	     /* protects everything below but the atomics */
	GArray *segments;    /* AgingSegment, oldest first, never empty */
	uint64_t now;	     /* scan number (intervals since creation) */
	uint64_t scans;	     /* completed scans */
	gint skipped;	     /* atomic: scans skipped while busy */
	guint pending_ticks; /* atomic: intervals of skipped scans */
	GArray *ranges;	     /* AgingRange, sorted by gpa */
	AgingCoverage coverage;
	AgingCost last_cost;
	uint64_t scan_core_ns, scan_written; /* of the scan in progress */
	unsigned stride;    /* sampling stride; 1: every unit every scan */
	unsigned block;	    /* units per sampling block */
	uint64_t *armed_at; /* per phase: @now at its last arming */
	AgingArmFn arm;	    /* the backend's explicit arming, or NULL */
	void *arm_opaque;
	uint64_t restarted;   /* scan number of the last age restart */
	bool watching;	      /* aging_set_watching() */
	uint64_t watch_epoch; /* counts the times watching stopped */
};

/* Scans since @s, unclamped (at most 49151 thanks to the sweeps). */
static inline unsigned aging_raw(const Aging *a, uint16_t s)
{
	return (uint16_t)((uint16_t)a->now - s);
}

/* Scans since the last observed access of unit @u, clamped. */
static inline unsigned aging_seen_age(const Aging *a, const AgingRange *r,
				      uint64_t u)
{
	return MIN(aging_raw(a, r->last[u]), AGING_AGE_MAX);
}

/*
 * Scans unit @u is proven idle for: without sampling, since its last
 * observed access (the backend watched every unit at every scan); with
 * sampling, since the first arming after that access, and 0 while it
 * was not re-armed since.
 */
static inline unsigned aging_proven_age(const Aging *a, const AgingRange *r,
					uint64_t u)
{
	unsigned seen = aging_raw(a, r->last[u]), since;

	if (!r->since)
		return MIN(seen, AGING_AGE_MAX);
	since = aging_raw(a, r->since[u]);
	return since <= seen ? MIN(since, AGING_AGE_MAX) : 0;
}

/* Sampling phase of unit @u of a range. */
static inline unsigned aging_phase(const Aging *a, uint64_t u)
{
	return (u / a->block) % a->stride;
}

/* The current interval. */
uint64_t aging_cur_interval(const Aging *a);
/* Milliseconds covered by the last @k scans (the interval history). */
uint64_t aging_scans_ms(const Aging *a, uint64_t k);
/* Fewest scans covering at least @ms (AGING_AGE_MAX + 1 if none). */
uint64_t aging_ms_scans(const Aging *a, uint64_t ms);
/* Mark units [@first, @first + @n) of @r armed now (sampled only). */
void aging_arm_units(Aging *a, AgingRange *r, uint64_t first, uint64_t n);

#endif
