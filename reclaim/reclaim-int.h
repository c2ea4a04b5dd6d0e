/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the reclaim engine shared by reclaim.c (the run: checks,
 * plan, confirmation, stages) and reclaim-batch.c (pieces, batches,
 * swap room, the measurement).  Not an interface:
 * include/reclaim/reclaim.h is.
 *
 * Locking: a ReclaimCtx belongs to the thread running reclaim_run().
 */
#ifndef RECLAIM_RECLAIM_INT_H
#define RECLAIM_RECLAIM_INT_H

#include "aging/aging.h"
#include "memory/madvise-ring.h"
#include "reclaim/reclaim.h"
#include "util/bitmap.h"

/* A range advised successfully, kept for the measurement. */
typedef struct ReclaimAdvised {
	uint64_t gpa;
	uint64_t npages;
	uint64_t scan; /* advised after this scan */
} ReclaimAdvised;

typedef struct ReclaimCtx {
	const ReclaimTarget *t;
	const ReclaimParams *p;
	const ReclaimHooks *h;
	ReclaimStats *st;
	MadviseRing *ring;
	GArray *runs;	      /* AgingRun, the stage's plan */
	guint run;	      /* cursor: run index ... */
	uint64_t off;	      /* ... and offset in it */
	uint64_t scan;	      /* scan number of the stage's plan */
	uint64_t batch;	      /* bytes per batch */
	uint64_t dealt;	      /* bytes of earlier stages dealt with */
	uint64_t epoch;	      /* the aging's watch epoch at the plan */
	uint64_t advise_scan; /* aging scan number of the batch's advice */
	GArray *advised;      /* ReclaimAdvised */
	GArray *reqs;	      /* MadviseReq of the batch */
	uint64_t swap_free0;
	uint64_t swap_reserve;
	gint64 t0;
} ReclaimCtx;

static inline bool reclaim_bit(const unsigned long *bm, uint64_t i)
{
	return bm[i / BITS_PER_LONG] >> (i % BITS_PER_LONG) & 1;
}

/* Bytes per batch for @p: about 100 ms of its rate limit, bounded. */
uint64_t reclaim_batch_bytes(const ReclaimParams *p);
/* Bytes of the stage's plan not reached yet. */
uint64_t reclaim_remaining(ReclaimCtx *c);
/* One batch of the stage: pieces re-checked, then advised. */
bool reclaim_batch(ReclaimCtx *c, GError **errp);
/* After the last batch: how much of what was advised is in swap. */
void reclaim_measure(ReclaimCtx *c, ReclaimRefaults *rf);

#endif
