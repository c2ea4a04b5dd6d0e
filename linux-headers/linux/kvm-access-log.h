/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PROPOSED KVM UAPI: the access log.  NOT IN ANY KERNEL.
 *
 * kvmage proposes this interface (docs/interop/kvm-access-log.rst is its
 * specification).  No Linux kernel implements it: KVM_CHECK_EXTENSION
 * returns 0 for KVM_CAP_ACCESS_LOG everywhere, and kvmage's userspace half
 * (accel/kvm/access-log.c) is tested only against an in-test model of the
 * documented semantics (tests/unit/test-access-log.c).
 *
 * The numbers below are placeholders chosen outside upstream's ranges so
 * they cannot collide with a real capability or ioctl: upstream capability
 * numbers are below 300, and upstream KVMIO ioctl numbers stop well short
 * of 0xf8.  A real submission would take the next free numbers.
 *
 * The access log is modelled on the dirty log (KVM_GET_DIRTY_LOG and
 * KVM_CLEAR_DIRTY_LOG): one bit per guest page of a memslot, saying
 * whether the guest accessed (read or wrote) the page since its accessed
 * bit was last cleared.  It reads the accessed bits of KVM's own page
 * tables (TDP or shadow SPTEs); it never write-protects anything.
 */
#ifndef _LINUX_KVM_ACCESS_LOG_H
#define _LINUX_KVM_ACCESS_LOG_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/kvm.h>

/* PROPOSED capability; KVM_CHECK_EXTENSION returns 1 when supported. */
#define KVM_CAP_ACCESS_LOG 0x1000

/* kvm_access_log.flags */
/* KVM_GET_ACCESS_LOG only: clear the accessed bits it reports. */
#define KVM_ACCESS_LOG_TEST_AND_CLEAR (1u << 0)
/*
 * Never take mmu_lock for write, never wait for or delay a vCPU fault or
 * an MMU invalidation: examine only what can be examined locklessly (or
 * under the read side of a lock without waiting) and report the rest as
 * skipped.
 */
#define KVM_ACCESS_LOG_FAST_ONLY (1u << 1)
#define KVM_ACCESS_LOG_VALID_FLAGS \
	(KVM_ACCESS_LOG_TEST_AND_CLEAR | KVM_ACCESS_LOG_FAST_ONLY)

/* kvm_access_log.status (output) */
/* Every page of the range was examined. */
#define KVM_ACCESS_LOG_STATUS_COMPLETE 0
/* FAST_ONLY: pages_skipped pages were not examined (see skipped_bitmap). */
#define KVM_ACCESS_LOG_STATUS_PARTIAL 1

/*
 * A range [first_page, first_page + num_pages) is never larger than this.
 * It bounds the work (and any read-side lock hold time) of one call.
 */
#define KVM_ACCESS_LOG_MAX_PAGES (1u << 18) /* 1 GiB of 4 KiB pages */

/*
 * Argument of KVM_GET_ACCESS_LOG and KVM_CLEAR_ACCESS_LOG (VM ioctls).
 *
 * Bitmaps: bit i is page first_page + i of the slot, stored as 64-bit
 * little-endian words (bit i is bit i % 64 of word i / 64), exactly like
 * the dirty log.  A bitmap holds DIV_ROUND_UP(num_pages, 64) words.
 */
struct kvm_access_log {
	__u32 slot;	  /* in: (address space << 16) | slot id */
	__u32 flags;	  /* in: KVM_ACCESS_LOG_* */
	__u64 first_page; /* in: slot-relative, a multiple of 64 */
	__u32 num_pages;  /* in: a multiple of 64, or reaching the slot end */
	__u32 status;	  /* out: KVM_ACCESS_LOG_STATUS_* */
	union {
		void *bitmap; /* GET: out, accessed pages; CLEAR: in */
		__u64 padding1;
	};
	union {
		void *skipped_bitmap; /* out, optional (NULL): skipped pages */
		__u64 padding2;
	};
	__u64 pages_accessed; /* out: GET: bits set in bitmap; CLEAR: cleared */
	__u64 pages_skipped;  /* out: pages not examined (FAST_ONLY) */
	__u64 reserved[4];    /* in: must be zero */
};

/* PROPOSED ioctl numbers, in a range of KVMIO that upstream does not use. */
#define KVM_GET_ACCESS_LOG _IOWR(KVMIO, 0xf8, struct kvm_access_log)
#define KVM_CLEAR_ACCESS_LOG _IOWR(KVMIO, 0xf9, struct kvm_access_log)

#endif
