/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Preallocation of host memory.
 *
 * The range is cut into one contiguous part per thread, each part into
 * chunks, and every chunk is populated with MADV_POPULATE_WRITE: the kernel
 * faults the pages in writable (huge pages where THP or hugetlbfs back the
 * range) without a user-space touch per page.  Kernels before 5.14 lack it
 * (EINVAL): then each page is written once under a SIGBUS handler, so that
 * running out of memory or of huge pages is an error rather than a crash.
 * KVMAGE_TEST_PREALLOC_TOUCH=1 in the environment forces that fallback (tests).
 *
 * Shared file-backed ranges (memfd, files) are fallocate()d chunk by chunk
 * first: allocating the page cache in bulk and then only mapping it was
 * measured 15-20% faster here than letting the populate fault every page
 * into the page cache one by one.  A filesystem without fallocate is
 * simply populated.
 *
 * Locking: the threads of one call share a PreallocRun whose error fields
 * are protected by its lock; the SIGBUS handler is installed and removed
 * under prealloc_sig_lock, and each thread has its own jump buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/hostmem.h"
#include "util/error.h"
#include "util/size.h"
#include "util/test-switch.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PREALLOC_CHUNK	     (256ULL << 20) /* bytes per madvise() call */
#define PREALLOC_ALIGN	     (2ULL << 20) /* thread parts start on THP bounds */
#define PREALLOC_SIGBUS	     (-1)	  /* "errno" of a caught SIGBUS */
#define PREALLOC_MAX_THREADS 64

typedef struct PreallocRun {
	uint8_t *host;
	uint64_t page_size;
	int fd;		       /* shared file behind host at offset 0, or -1 */
	bool touch;	       /* skip MADV_POPULATE_WRITE */
	int stop;	       /* atomic: a thread failed, the others give up */
	GMutex lock;	       /* protects err */
	int err;	       /* first failure: errno or PREALLOC_SIGBUS */
	bool sigbus_installed; /* by this run, protected by lock */
} PreallocRun;

typedef struct PreallocPart {
	PreallocRun *run;
	uint64_t start, end; /* offsets into run->host */
	GThread *thread;
} PreallocPart;

static GMutex prealloc_sig_lock;
static unsigned prealloc_sig_users;	  /* protected by prealloc_sig_lock */
static struct sigaction prealloc_sig_old; /* protected by prealloc_sig_lock */
static __thread sigjmp_buf *prealloc_jmp;

static void prealloc_sigbus(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *env = prealloc_jmp;

	if (env)
		siglongjmp(*env, 1);
	/*
	 * Not a touch of ours: put the previous disposition back and return,
	 * so that the faulting access repeats and gets it.
	 */
	sigaction(SIGBUS, &prealloc_sig_old, NULL);
}

/* Install the SIGBUS handler once per run (first user saves the old one). */
static int prealloc_sig_get(PreallocRun *run)
{
	struct sigaction sa = { .sa_sigaction = prealloc_sigbus,
				.sa_flags = SA_SIGINFO };
	int err = 0;

	g_mutex_lock(&run->lock);
	if (run->sigbus_installed)
		goto out;
	g_mutex_lock(&prealloc_sig_lock);
	sigemptyset(&sa.sa_mask);
	if (!prealloc_sig_users && sigaction(SIGBUS, &sa, &prealloc_sig_old))
		err = errno;
	else
		prealloc_sig_users++;
	g_mutex_unlock(&prealloc_sig_lock);
	run->sigbus_installed = !err;
out:
	g_mutex_unlock(&run->lock);
	return err;
}

/* Called once every thread of @run has finished. */
static void prealloc_sig_put(PreallocRun *run)
{
	if (!run->sigbus_installed)
		return;
	g_mutex_lock(&prealloc_sig_lock);
	/* Restoring a saved disposition cannot fail. */
	if (!--prealloc_sig_users)
		sigaction(SIGBUS, &prealloc_sig_old, NULL);
	g_mutex_unlock(&prealloc_sig_lock);
}

/*
 * Write a byte with its own value.  A locked "or 0" is a single write
 * access, so one fault per page instead of a read then a write fault; in
 * asm because compilers may drop an atomic that changes nothing.
 */
static inline void prealloc_touch_byte(volatile uint8_t *q)
{
#if defined(__x86_64__) || defined(__i386__)
	asm volatile("lock orb $0, %0" : "+m"(*q) : : "memory");
#else
	*q = *q;
#endif
}

/* Write each page of [p, p+len) once, keeping its contents. */
static int prealloc_touch_pages(uint8_t *p, uint64_t len, uint64_t step)
{
	sigjmp_buf env;
	uint64_t off;

	if (sigsetjmp(env, 1)) {
		prealloc_jmp = NULL;
		return PREALLOC_SIGBUS;
	}
	prealloc_jmp = &env;
	for (off = 0; off < len; off += step)
		prealloc_touch_byte(p + off);
	prealloc_jmp = NULL;
	return 0;
}

static int prealloc_touch(PreallocRun *run, uint8_t *p, uint64_t len)
{
	sigset_t bus, old;
	int err;

	err = prealloc_sig_get(run);
	if (err)
		return err;
	/* A blocked synchronous SIGBUS would kill the process. */
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &bus, &old);
	err = prealloc_touch_pages(p, len, run->page_size);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

/* Allocate the file's pages for [off, off+len); 0 if unsupported. */
static int prealloc_fallocate(PreallocRun *run, uint64_t off, uint64_t len)
{
	if (run->fd < 0 || run->touch)
		return 0;
	while (fallocate(run->fd, 0, off, len)) {
		if (errno == EINTR)
			continue;
		if (errno == EOPNOTSUPP || errno == ENOSYS) {
			run->fd = -1; /* racy but idempotent: stop trying */
			return 0;
		}
		return errno;
	}
	return 0;
}

static int prealloc_populate(PreallocRun *run, uint8_t *p, uint64_t len)
{
	int err = prealloc_fallocate(run, p - run->host, len);

	if (err)
		return err;
	if (run->touch)
		return prealloc_touch(run, p, len);
	while (madvise(p, len, MADV_POPULATE_WRITE)) {
		if (errno == EINTR)
			continue;
		/* Not supported for this mapping: touch it instead. */
		if (errno == EINVAL)
			return prealloc_touch(run, p, len);
		return errno;
	}
	return 0;
}

static gpointer prealloc_part_run(gpointer opaque)
{
	PreallocPart *part = opaque;
	PreallocRun *run = part->run;
	uint64_t off, len;
	int err;

	for (off = part->start; off < part->end; off += len) {
		if (g_atomic_int_get(&run->stop))
			break;
		len = MIN(PREALLOC_CHUNK, part->end - off);
		err = prealloc_populate(run, run->host + off, len);
		if (err) {
			g_mutex_lock(&run->lock);
			if (!run->err)
				run->err = err;
			g_mutex_unlock(&run->lock);
			g_atomic_int_set(&run->stop, 1);
			break;
		}
	}
	return NULL;
}

/* Does this kernel know MADV_POPULATE_WRITE?  It checks the advice first. */
static bool prealloc_can_populate(void *host)
{
	if (test_switch_enabled(TEST_SWITCH_PREALLOC_TOUCH))
		return false;
	return !madvise(host, 0, MADV_POPULATE_WRITE);
}

static bool prealloc_check_args(void *host, uint64_t len, uint64_t page_size,
				unsigned threads, GError **errp)
{
	if (!page_size || page_size & (page_size - 1) ||
	    (uintptr_t)host % page_size || len % page_size || !threads) {
		error_setg(errp,
			   "invalid preallocation request: %p+0x%" G_GINT64_MODIFIER
			   "x, page size 0x%" G_GINT64_MODIFIER "x, %u threads",
			   host, len, page_size, threads);
		return false;
	}
	return true;
}

/*
 * Cut [0, len) into @n parts on PREALLOC_ALIGN (or page) boundaries; fewer
 * when the range is small.  Returns the number of parts.
 */
static unsigned prealloc_split(PreallocPart *parts, unsigned n, uint64_t len,
			       uint64_t page_size)
{
	uint64_t unit = MAX(page_size, PREALLOC_ALIGN), each, off = 0;
	unsigned i;

	if (len < unit * n)
		unit = page_size;
	each = (len / n + unit - 1) / unit * unit;
	for (i = 0; i < n && off < len; i++) {
		parts[i].start = off;
		parts[i].end = MIN(len, off + each);
		off = parts[i].end;
	}
	return i;
}

/* More threads than online CPUs only adds contention. */
static unsigned prealloc_nr_threads(unsigned threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus > 0 && (unsigned long)cpus < threads)
		threads = cpus;
	return MIN(threads, PREALLOC_MAX_THREADS);
}

static bool prealloc_report(PreallocRun *run, uint64_t len, GError **errp)
{
	g_autofree char *sz = size_to_str(len);

	if (!run->err)
		return true;
	if (run->err == PREALLOC_SIGBUS || run->err == EFAULT)
		error_setg(errp,
			   "populating %s failed: out of memory or huge "
			   "pages (%s)",
			   sz, run->err == EFAULT ? "EFAULT" : "SIGBUS");
	else
		error_setg_errno(errp, run->err, "populating %s failed", sz);
	return false;
}

bool prealloc_range(void *host, uint64_t len, uint64_t page_size,
		    unsigned threads, int fd, GError **errp)
{
	PreallocPart parts[PREALLOC_MAX_THREADS] = { 0 };
	PreallocRun run = { .host = host, .page_size = page_size, .fd = fd };
	GError *err = NULL;
	unsigned i, n;
	bool ok;

	if (!prealloc_check_args(host, len, page_size, threads, errp))
		return false;
	if (!len)
		return true;
	run.touch = !prealloc_can_populate(host);
	g_mutex_init(&run.lock);
	n = prealloc_split(parts, prealloc_nr_threads(threads), len, page_size);
	/* Part 0 runs here; the others in threads. */
	for (i = 1; i < n; i++) {
		parts[i].run = &run;
		parts[i].thread = g_thread_try_new("prealloc",
						   prealloc_part_run, &parts[i],
						   &err);
		if (!parts[i].thread) {
			g_atomic_int_set(&run.stop, 1);
			break;
		}
	}
	parts[0].run = &run;
	if (!err)
		prealloc_part_run(&parts[0]);
	for (i = 1; i < n; i++)
		if (parts[i].thread)
			g_thread_join(parts[i].thread);
	prealloc_sig_put(&run);
	if (err) {
		g_propagate_prefixed_error(errp, err,
					   "cannot create "
					   "preallocation thread: ");
		ok = false;
	} else {
		ok = prealloc_report(&run, len, errp);
	}
	g_mutex_clear(&run.lock);
	return ok;
}
