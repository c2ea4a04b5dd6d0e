/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Batches of madvise() requests, each with its own result.  Submitted
 * through io_uring (IORING_OP_MADVISE, via liburing) where the kernel
 * allows it: the kernel runs them on its io-wq workers, so one batch of
 * many ranges costs one io_uring_enter() and may be advised by several
 * workers at once.  Where io_uring is unavailable (io_uring_queue_init()
 * fails: ENOSYS on kernels without it, EPERM when kernel.io_uring_disabled
 * forbids it, ENOMEM under a low memlock limit) the ring falls back to one
 * plain madvise() per request, with the same per-request results.
 *
 * Test-only switch: the environment variable KVMAGE_TEST_MADVISE_NO_URING=1
 * (read when a ring is created) forces the fallback, so tests cover both
 * paths on a host that has io_uring.  Not meant for production use.
 *
 * Requests longer than MADVISE_RING_MAX_LEN are refused with EINVAL in
 * their result (liburing 2.3 carries the length in 32 bits): callers
 * split longer runs.
 *
 * Locking: a ring belongs to one thread at a time (the reclaim job's);
 * it has no lock of its own.
 */
#ifndef MEMORY_MADVISE_RING_H
#define MEMORY_MADVISE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#define MADVISE_RING_DEPTH   64		/* requests in flight at most */
#define MADVISE_RING_MAX_LEN (1u << 30) /* bytes per request */
/*
 * io-wq workers advising at once.  Pageout to zram compresses in the
 * advising thread, so each worker is a busy CPU: one worker gave the
 * best throughput on the 2-CPU test host (bench/reclaim: 0.95 of one
 * whole-range MADV_PAGEOUT, against 0.87 with 2 and 0.74 unbounded)
 * and leaves the other CPUs to the vCPUs.  KVMAGE_TEST_MADVISE_WORKERS=N
 * overrides it to re-measure (util/test-switch.h).
 */
#define MADVISE_RING_WORKERS 1

typedef struct MadviseReq {
	void *addr;
	size_t len;
	int advice; /* MADV_PAGEOUT, MADV_COLD, ... */
	int result; /* out: 0, or a negative errno */
} MadviseReq;

typedef struct MadviseRing MadviseRing;

/*
 * A ring of MADVISE_RING_DEPTH entries, or the madvise() fallback when
 * io_uring cannot be set up (never an error in itself: the reason is kept
 * for madvise_ring_fallback_reason()).  Fails only when out of memory.
 */
MadviseRing *madvise_ring_new(GError **errp);
void madvise_ring_free(MadviseRing *r);

/* True when requests go through io_uring. */
bool madvise_ring_uses_uring(const MadviseRing *r);
/* Why the fallback is in use ("io_uring_queue_init: ..."), or NULL. */
const char *madvise_ring_fallback_reason(const MadviseRing *r);

/*
 * Advise @n requests and wait for all of them; each gets its result.
 * Returns the number of requests that failed (result < 0).  A failure of
 * io_uring itself (io_uring_submit or io_uring_wait_cqe errors) is
 * returned as -1 with @errp set; requests not yet completed then carry
 * -ECANCELED.
 */
int madvise_ring_submit(MadviseRing *r, MadviseReq *reqs, unsigned n,
			GError **errp);

#endif
