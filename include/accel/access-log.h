/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Userspace half of the PROPOSED KVM access log (harvest backend
 * "access-log"; docs/interop/kvm-access-log.rst).
 *
 * No kernel implements KVM_CAP_ACCESS_LOG: on every real host the probe
 * fails with KVMAGE_ERROR_KVM_MISSING_CAP.  The harvester below is tested
 * only against a model of the documented kernel semantics
 * (tests/unit/test-access-log.c); it has never run against a kernel.
 *
 * A harvester (AccessLogSlot) covers one memslot.  A scan splits the slot
 * into ranges of at most max_pages pages, issues one KVM_GET_ACCESS_LOG
 * per range through an ops table (the real ioctls, or a test model), and
 * assembles two slot bitmaps: pages accessed since the previous
 * test-and-clear, and pages whose state is unknown this scan because a
 * fast-only call skipped them.  Skipped pages keep their accessed bit in
 * the kernel, so the next scan sees them again.
 */
#ifndef ACCEL_ACCESS_LOG_H
#define ACCEL_ACCESS_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <linux/kvm-access-log.h>

#include "accel/kvm.h"

/*
 * The two ioctls.  Each returns 0 or a negative errno and, on 0, fills the
 * output fields of @log as the specification says.
 */
typedef struct AccessLogOps {
	int (*get)(void *opaque, struct kvm_access_log *log);
	int (*clear)(void *opaque, struct kvm_access_log *log);
} AccessLogOps;

/* The real ioctls on a KvmState's VM (opaque is the KvmState). */
extern const AccessLogOps access_log_kvm_ops;

/*
 * True if KVM has KVM_CAP_ACCESS_LOG.  Otherwise false with
 * KVMAGE_ERROR_KVM_MISSING_CAP, which is what every kernel answers today.
 */
bool access_log_probe(KvmState *s, GError **errp);

/* Counters of one scan (reset by each scan). */
typedef struct AccessLogScanStats {
	uint64_t calls;		 /* ioctls issued */
	uint64_t pages_accessed; /* bits set in the accessed bitmap */
	uint64_t pages_skipped;	 /* bits set in the skipped bitmap */
	uint64_t ranges_partial; /* ranges answered with STATUS_PARTIAL */
	uint64_t ranges_eagain;	 /* ranges refused with EAGAIN (all skipped) */
} AccessLogScanStats;

/*
 * One slot's harvester.  Owned by the harvest thread: nothing in it is
 * shared, so no lock is needed; the kernel does its own locking.
 */
typedef struct AccessLogSlot {
	uint32_t slot;	    /* (address space << 16) | slot id */
	uint64_t npages;    /* pages in the slot */
	uint32_t max_pages; /* pages per ioctl, multiple of 64 */
	uint64_t nwords;    /* 64-bit words per bitmap */
	uint64_t *accessed; /* bit i: page i accessed (last scan) */
	uint64_t *skipped;  /* bit i: page i not examined (last scan) */
	AccessLogScanStats last;
	uint64_t scans;
	uint64_t total_skipped; /* sum of pages_skipped over all scans */
} AccessLogSlot;

/*
 * @max_pages is rounded down to a multiple of 64 and must end up between
 * 64 and KVM_ACCESS_LOG_MAX_PAGES.
 */
AccessLogSlot *access_log_slot_new(uint32_t slot, uint64_t npages,
				   uint32_t max_pages, GError **errp);
void access_log_slot_free(AccessLogSlot *ls);

/*
 * One scan of the whole slot with KVM_GET_ACCESS_LOG and @flags
 * (KVM_ACCESS_LOG_TEST_AND_CLEAR: harvest; without it: peek;
 * KVM_ACCESS_LOG_FAST_ONLY: skip what would contend).  Fills ls->accessed,
 * ls->skipped and ls->last.  EAGAIN on a fast-only range marks the range
 * skipped and goes on; any other error fails the scan.
 */
bool access_log_slot_scan(AccessLogSlot *ls, const AccessLogOps *ops,
			  void *opaque, uint32_t flags, GError **errp);

/*
 * KVM_CLEAR_ACCESS_LOG for the pages set in @bitmap (a slot bitmap of
 * ls->nwords words; NULL: every page), range by range.  @flags may hold
 * KVM_ACCESS_LOG_FAST_ONLY; pages it skipped are counted in *skipped.
 */
bool access_log_slot_clear(AccessLogSlot *ls, const AccessLogOps *ops,
			   void *opaque, const uint64_t *bitmap, uint32_t flags,
			   uint64_t *skipped, GError **errp);

/* Page @page's bit in a slot bitmap (64-bit little-endian words). */
static inline bool access_log_test_bit(const uint64_t *map, uint64_t page)
{
	return (GUINT64_FROM_LE(map[page / 64]) >> (page % 64)) & 1;
}

#endif
