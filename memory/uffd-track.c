/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Access tracking with userfaultfd MINOR faults: registration, zapping in
 * batches, and the fault handler thread.  See include/memory/uffd-track.h
 * for the model and the locking rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "memory/uffd-track.h"
#include "util/error.h"
#include "util/bitmap.h"

#define UFFD_TRACK_MSGS	 64  /* events read at once */
#define UFFD_TRACK_IOV	 512 /* iovecs per process_madvise call */
#define UFFD_TRACK_RETRY 16  /* UFFDIO_CONTINUE retries on EAGAIN */

struct UffdTrack {
	char *name;
	uint8_t *host;
	uint64_t size, page_size, npages;
	int uffd;
	int stopfd; /* eventfd: tells the handler to return */
	int pidfd;  /* this process, for process_madvise; -1: madvise */
	void *zero; /* huge pages: a read-only zero page to UFFDIO_COPY */
	GThread *handler;
	unsigned long *accessed; /* atomic bits, see the header */
	/* counters: atomic, handler and scanning thread */
	uint64_t faults, missing, eexist, errors, handler_ns;
	/* scanning thread only */
	uint64_t zapped, zap_calls, zap_ns;
};

static uint64_t uffd_track_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void uffd_track_count(uint64_t *ctr, uint64_t n)
{
	__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

/*
 * Handler thread: fill a page missing from the file with zeros, which is
 * what the kernel would have done without us: UFFDIO_ZEROPAGE, or for a
 * huge page UFFDIO_COPY of a zero page (hugetlbfs has no ZEROPAGE).
 */
static int uffd_track_fill(UffdTrack *t, uint64_t start)
{
	if (!t->zero) {
		struct uffdio_zeropage zp = {
			.range = { .start = start, .len = t->page_size },
		};

		return ioctl(t->uffd, UFFDIO_ZEROPAGE, &zp);
	} else {
		struct uffdio_copy cp = {
			.dst = start,
			.src = (uintptr_t)t->zero,
			.len = t->page_size,
		};

		return ioctl(t->uffd, UFFDIO_COPY, &cp);
	}
}

/* Handler thread: mark the page and map it back; wake the faulter always. */
static void uffd_track_resolve(UffdTrack *t, const struct uffd_msg *msg)
{
	uint64_t addr = msg->arg.pagefault.address;
	uint64_t i = (addr - (uintptr_t)t->host) / t->page_size;
	bool minor = msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR;
	struct uffdio_continue cont = { 0 };
	struct uffdio_range wake;
	unsigned tries;
	int ret;

	if (i >= t->npages) {
		uffd_track_count(&t->errors, 1);
		return;
	}
	__atomic_fetch_or(&t->accessed[i / BITS_PER_LONG],
			  1UL << (i % BITS_PER_LONG), __ATOMIC_RELAXED);
	cont.range.start = (uintptr_t)t->host + i * t->page_size;
	cont.range.len = t->page_size;
	for (tries = 0; tries < UFFD_TRACK_RETRY; tries++) {
		ret = minor ? ioctl(t->uffd, UFFDIO_CONTINUE, &cont) :
			      uffd_track_fill(t, cont.range.start);
		if (!ret) {
			uffd_track_count(&t->faults, 1);
			if (!minor)
				uffd_track_count(&t->missing, 1);
			return;
		}
		if (errno != EAGAIN)
			break;
	}
	/*
	 * EEXIST: another fault on the page mapped it first, or (missing)
	 * kvmage's alias put the page in the file meanwhile, but this waiter
	 * may not have been woken.  Anything else: wake the faulter so that
	 * it retries (it then takes the fault the page now calls for).
	 */
	uffd_track_count(errno == EEXIST ? &t->eexist : &t->errors, 1);
	wake = cont.range;
	if (ioctl(t->uffd, UFFDIO_WAKE, &wake))
		uffd_track_count(&t->errors, 1);
}

/* Handler thread: returns after uffd_track_free() writes the stop fd. */
static gpointer uffd_track_handler(gpointer opaque)
{
	UffdTrack *t = opaque;
	struct uffd_msg msg[UFFD_TRACK_MSGS];

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = t->uffd, .events = POLLIN },
			{ .fd = t->stopfd, .events = POLLIN },
		};
		uint64_t t0;
		ssize_t n, k;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			uffd_track_count(&t->errors, 1);
			return NULL;
		}
		if (pfd[1].revents)
			return NULL;
		n = read(t->uffd, msg, sizeof(msg));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			uffd_track_count(&t->errors, 1);
			return NULL;
		}
		t0 = uffd_track_now_ns();
		for (k = 0; k < n / (ssize_t)sizeof(msg[0]); k++) {
			if (msg[k].event == UFFD_EVENT_PAGEFAULT)
				uffd_track_resolve(t, &msg[k]);
		}
		uffd_track_count(&t->handler_ns, uffd_track_now_ns() - t0);
	}
}

static bool uffd_track_open(UffdTrack *t, GError **errp)
{
	struct uffdio_api api = { .api = UFFD_API };

	api.features = t->zero ? UFFD_FEATURE_MINOR_HUGETLBFS |
					 UFFD_FEATURE_MISSING_HUGETLBFS :
				 UFFD_FEATURE_MINOR_SHMEM |
					 UFFD_FEATURE_MISSING_SHMEM;
	t->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (t->uffd < 0) {
		error_setg_errno(errp, errno,
				 "userfaultfd unavailable for '%s' (root or "
				 "vm.unprivileged_userfaultfd=1 needed)",
				 t->name);
		return false;
	}
	if (ioctl(t->uffd, UFFDIO_API, &api)) {
		error_setg_errno(errp, errno,
				 "userfaultfd of '%s' lacks MINOR and MISSING "
				 "faults on shared memory",
				 t->name);
		return false;
	}
	return true;
}

static bool uffd_track_register(UffdTrack *t, GError **errp)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)t->host, .len = t->size },
		.mode = UFFDIO_REGISTER_MODE_MINOR |
			UFFDIO_REGISTER_MODE_MISSING,
	};
	uint64_t need = 1ULL << _UFFDIO_CONTINUE |
			1ULL << (t->zero ? _UFFDIO_COPY : _UFFDIO_ZEROPAGE);

	if (!ioctl(t->uffd, UFFDIO_REGISTER, &reg)) {
		if ((reg.ioctls & need) == need)
			return true;
		error_setg(errp,
			   "userfaultfd cannot resolve minor faults "
			   "on '%s'",
			   t->name);
		return false;
	}
	if (errno == EINVAL) {
		error_setg(errp,
			   "uffd access tracking needs shared memory "
			   "(memory-backend-memfd, or memory-backend-file "
			   "with share=on): '%s' cannot take MINOR fault "
			   "registration (private or anonymous memory)",
			   t->name);
		return false;
	}
	error_setg_errno(errp, errno, "cannot register '%s' with userfaultfd",
			 t->name);
	return false;
}

UffdTrack *uffd_track_new(const char *name, void *host, uint64_t size,
			  uint64_t page_size, unsigned flags, GError **errp)
{
	UffdTrack *t = g_new0(UffdTrack, 1);

	t->name = g_strdup(name);
	t->host = host;
	t->size = size;
	t->page_size = page_size;
	t->uffd = t->stopfd = t->pidfd = -1;
	if (!page_size || size % page_size || (uintptr_t)host % page_size) {
		error_setg(errp, "'%s': range not aligned to its page size",
			   name);
		goto fail;
	}
	t->npages = size / page_size;
	if (page_size > (uint64_t)sysconf(_SC_PAGESIZE)) {
		/* Never written: reads as zeros, costs no memory. */
		t->zero = mmap(NULL, page_size, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (t->zero == MAP_FAILED) {
			t->zero = NULL;
			error_setg_errno(errp, errno, "zero page for '%s'",
					 name);
			goto fail;
		}
	}
	t->accessed = g_new0(unsigned long, BITS_TO_LONGS(t->npages));
	if (!uffd_track_open(t, errp) || !uffd_track_register(t, errp))
		goto fail;
	/* process_madvise() on ourselves; without it, plain madvise(). */
	t->pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	t->stopfd = eventfd(0, EFD_CLOEXEC);
	if (t->stopfd < 0) {
		error_setg_errno(errp, errno, "eventfd for '%s'", name);
		goto fail;
	}
	if (!(flags & UFFD_TRACK_NO_HANDLER))
		t->handler = g_thread_new("uffd-track", uffd_track_handler, t);
	return t;
fail:
	uffd_track_free(t);
	return NULL;
}

void uffd_track_free(UffdTrack *t)
{
	uint64_t one = 1;

	if (!t)
		return;
	if (t->handler) {
		/* An eventfd write of 1 cannot fail short of overflow. */
		if (write(t->stopfd, &one, sizeof(one)) != sizeof(one))
			g_warning("uffd-track: cannot stop the handler");
		g_thread_join(t->handler);
	}
	/* Closing the uffd wakes every thread still waiting on a fault. */
	if (t->uffd >= 0)
		close(t->uffd);
	if (t->stopfd >= 0)
		close(t->stopfd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->zero)
		munmap(t->zero, t->page_size);
	g_free(t->accessed);
	g_free(t->name);
	g_free(t);
}

uint64_t uffd_track_npages(UffdTrack *t)
{
	return t->npages;
}

/* Zap @n iovecs; process_madvise may stop short, then go on after it. */
static bool uffd_track_zap_iov(UffdTrack *t, struct iovec *iov, size_t n,
			       GError **errp)
{
	while (n && t->pidfd >= 0) {
		ssize_t done = syscall(SYS_process_madvise, t->pidfd, iov, n,
				       MADV_DONTNEED, 0);

		t->zap_calls++;
		if (done < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* Old kernel or not allowed: madvise from now on. */
			close(t->pidfd);
			t->pidfd = -1;
			break;
		}
		while (n && (size_t)done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			n--;
		}
		if (n && done) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	for (; n; iov++, n--) {
		t->zap_calls++;
		if (madvise(iov->iov_base, iov->iov_len, MADV_DONTNEED)) {
			error_setg_errno(errp, errno,
					 "madvise(MADV_DONTNEED) on '%s'",
					 t->name);
			return false;
		}
	}
	return true;
}

bool uffd_track_zap(UffdTrack *t, unsigned stride, unsigned block,
		    unsigned phase, GError **errp)
{
	g_autofree struct iovec *iov = g_new(struct iovec, UFFD_TRACK_IOV);
	uint64_t t0 = uffd_track_now_ns(), i, n = 0;
	/* stride 1: one range over the whole bank */
	uint64_t run = stride == 1 ? t->npages : block;
	uint64_t step = stride == 1 ? t->npages : (uint64_t)stride * block;
	bool ok = true;

	if (!stride || !block || phase >= stride) {
		error_setg(errp, "'%s': bad sample %u of %u (block %u)",
			   t->name, phase, stride, block);
		return false;
	}
	for (i = stride == 1 ? 0 : (uint64_t)phase * block; i < t->npages && ok;
	     i += step) {
		uint64_t len = MIN(run, t->npages - i);

		iov[n].iov_base = t->host + i * t->page_size;
		iov[n].iov_len = len * t->page_size;
		t->zapped += len;
		if (++n == UFFD_TRACK_IOV) {
			ok = uffd_track_zap_iov(t, iov, n, errp);
			n = 0;
		}
	}
	if (ok && n)
		ok = uffd_track_zap_iov(t, iov, n, errp);
	t->zap_ns += uffd_track_now_ns() - t0;
	return ok;
}

bool uffd_track_zap_range(UffdTrack *t, uint64_t first, uint64_t n,
			  GError **errp)
{
	struct iovec iov;
	uint64_t t0 = uffd_track_now_ns();
	bool ok;

	if (first > t->npages || n > t->npages - first) {
		error_setg(errp,
			   "'%s': pages %" G_GUINT64_FORMAT
			   "+%" G_GUINT64_FORMAT " out of range",
			   t->name, first, n);
		return false;
	}
	if (!n)
		return true;
	iov.iov_base = t->host + first * t->page_size;
	iov.iov_len = n * t->page_size;
	t->zapped += n;
	ok = uffd_track_zap_iov(t, &iov, 1, errp);
	t->zap_ns += uffd_track_now_ns() - t0;
	return ok;
}

uint64_t uffd_track_harvest(UffdTrack *t, unsigned long *out)
{
	uint64_t w, nw = BITS_TO_LONGS(t->npages);
	uint64_t set = 0;

	for (w = 0; w < nw; w++) {
		out[w] = __atomic_exchange_n(&t->accessed[w], 0,
					     __ATOMIC_ACQ_REL);
		set += __builtin_popcountl(out[w]);
	}
	return set;
}

void uffd_track_stats(UffdTrack *t, UffdTrackStats *st)
{
	st->faults = __atomic_load_n(&t->faults, __ATOMIC_RELAXED);
	st->missing = __atomic_load_n(&t->missing, __ATOMIC_RELAXED);
	st->eexist = __atomic_load_n(&t->eexist, __ATOMIC_RELAXED);
	st->errors = __atomic_load_n(&t->errors, __ATOMIC_RELAXED);
	st->handler_ns = __atomic_load_n(&t->handler_ns, __ATOMIC_RELAXED);
	st->zapped = t->zapped;
	st->zap_calls = t->zap_calls;
	st->zap_ns = t->zap_ns;
	st->process_madvise = t->pidfd >= 0;
}
