/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * madvise() batches through io_uring, or plain madvise() as the fallback.
 * See include/memory/madvise-ring.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <liburing.h>

#include "memory/madvise-ring.h"
#include "util/error.h"
#include "util/test-switch.h"

struct MadviseRing {
	bool uring;
	struct io_uring ring;
	char *why; /* fallback reason */
};

/* io-wq workers: KVMAGE_TEST_MADVISE_WORKERS (benchmarks), else 1. */
static unsigned madvise_ring_workers(void)
{
	const char *s = test_switch_value(TEST_SWITCH_MADVISE_WORKERS);

	if (s && g_ascii_strtoull(s, NULL, 10))
		return g_ascii_strtoull(s, NULL, 10);
	return MADVISE_RING_WORKERS;
}

MadviseRing *madvise_ring_new(GError **errp)
{
	MadviseRing *r = g_try_new0(MadviseRing, 1);
	unsigned workers[2];
	int ret;

	if (!r) {
		error_setg(errp, "out of memory for a madvise ring");
		return NULL;
	}
	if (test_switch_enabled(TEST_SWITCH_MADVISE_NO_URING)) {
		r->why = g_strdup_printf("io_uring disabled by %s (test only)",
					 test_switch_name(
						 TEST_SWITCH_MADVISE_NO_URING));
		return r;
	}
	ret = io_uring_queue_init(MADVISE_RING_DEPTH, &r->ring, 0);
	if (ret < 0) {
		r->why = g_strdup_printf("io_uring_queue_init: %s",
					 g_strerror(-ret));
		return r;
	}
	/*
	 * IORING_OP_MADVISE always runs on io-wq workers.  Unlimited, they
	 * outnumber the CPUs, fight over the mm's locks and take CPU time
	 * from the vCPUs; see MADVISE_RING_WORKERS.
	 */
	workers[0] = workers[1] = madvise_ring_workers();
	ret = io_uring_register_iowq_max_workers(&r->ring, workers);
	if (ret < 0)
		g_debug("io_uring_register_iowq_max_workers: %s",
			g_strerror(-ret)); /* older kernels: unlimited */
	r->uring = true;
	return r;
}

void madvise_ring_free(MadviseRing *r)
{
	if (!r)
		return;
	if (r->uring)
		io_uring_queue_exit(&r->ring);
	g_free(r->why);
	g_free(r);
}

bool madvise_ring_uses_uring(const MadviseRing *r)
{
	return r->uring;
}

const char *madvise_ring_fallback_reason(const MadviseRing *r)
{
	return r->why;
}

static int madvise_ring_plain(MadviseReq *reqs, unsigned n)
{
	int failed = 0;

	for (unsigned i = 0; i < n; i++) {
		if (reqs[i].len > MADVISE_RING_MAX_LEN)
			reqs[i].result = -EINVAL;
		else if (madvise(reqs[i].addr, reqs[i].len, reqs[i].advice))
			reqs[i].result = -errno;
		else
			reqs[i].result = 0;
		failed += reqs[i].result < 0;
	}
	return failed;
}

/* Reap @want completions into @reqs (user_data is the index). */
static bool madvise_ring_reap(MadviseRing *r, MadviseReq *reqs, unsigned want,
			      GError **errp)
{
	struct io_uring_cqe *cqe;
	int ret;

	for (unsigned done = 0; done < want; done++) {
		do {
			ret = io_uring_wait_cqe(&r->ring, &cqe);
		} while (ret == -EINTR);
		if (ret < 0) {
			error_setg_errno(errp, -ret, "io_uring_wait_cqe");
			return false;
		}
		reqs[io_uring_cqe_get_data64(cqe)].result = cqe->res;
		io_uring_cqe_seen(&r->ring, cqe);
	}
	return true;
}

int madvise_ring_submit(MadviseRing *r, MadviseReq *reqs, unsigned n,
			GError **errp)
{
	unsigned i = 0, queued, failed = 0;
	struct io_uring_sqe *sqe;
	int ret;

	if (!r->uring)
		return madvise_ring_plain(reqs, n);
	for (unsigned k = 0; k < n; k++)
		reqs[k].result = -ECANCELED;
	while (i < n) {
		for (queued = 0; i < n && queued < MADVISE_RING_DEPTH; i++) {
			if (reqs[i].len > MADVISE_RING_MAX_LEN) {
				reqs[i].result = -EINVAL;
				continue;
			}
			sqe = io_uring_get_sqe(&r->ring);
			g_assert(sqe); /* never more than the depth queued */
			io_uring_prep_madvise(sqe, reqs[i].addr, reqs[i].len,
					      reqs[i].advice);
			io_uring_sqe_set_data64(sqe, i);
			queued++;
		}
		if (!queued)
			break;
		for (unsigned sent = 0; sent < queued;) {
			ret = io_uring_submit(&r->ring);
			if (ret == -EINTR || ret == -EAGAIN)
				continue;
			if (ret <= 0) {
				/* 0: nothing taken although SQEs wait */
				error_setg_errno(errp, ret ? -ret : EBUSY,
						 "io_uring_submit");
				return -1;
			}
			sent += ret;
		}
		if (!madvise_ring_reap(r, reqs, queued, errp))
			return -1;
	}
	for (unsigned k = 0; k < n; k++)
		failed += reqs[k].result < 0;
	return failed;
}
