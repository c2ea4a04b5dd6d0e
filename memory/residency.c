/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Residency of guest RAM banks from the kernel's page tables (see
 * include/memory/residency.h).
 *
 * A range is walked in chunks of RES_CHUNK_PAGES 4 KiB pages.  Each chunk
 * first gets this mapping's view: present and swapped bitmaps from the
 * PAGEMAP_SCAN ioctl (one call per run of up to RES_REGIONS regions; holes
 * cost nothing) or from batched pread()s of /proc/self/pagemap (8 bytes
 * per page, RES_PM_BATCH entries per read).
 *
 * Shared banks then add the page cache's view, which does not depend on
 * this mapping's entries (uffd aging zaps them routinely, and reclaim
 * drops them), for each 2 MiB block where some page is not mapped:
 * mincore() marks pages in core as present.  For memfd/tmpfs files,
 * pages not in core are swapped if the file has data there, absent if it
 * has a hole: cachestat() (Linux 6.5) counts a block's pages in core and
 * in swap, and a range with both swapped pages and holes is split until
 * it tells them apart; without it, SEEK_DATA/SEEK_HOLE find the data.
 * Pages of a file on disk that are not in core are in the file: absent.
 * Hugetlb files cannot be swapped: mincore() only.  Shared anonymous
 * memory has no file to ask: its swapped pages count as absent.
 *
 * Test switches (util/test-switch.h): KVMAGE_TEST_RESIDENCY_METHOD=
 * pagemap|pagemap-scan forces the method, KVMAGE_TEST_RESIDENCY_CACHESTAT=off
 * the lseek() path.
 *
 * Locking: the pagemap descriptor and the probe result are set once
 * (g_once) and read-only afterwards; everything else is on the stack or
 * the heap of the call.  Any thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>

#include "backends/hostmem.h"
#include "memory/residency.h"
#include "util/error.h"
#include "util/bitmap.h"
#include "util/test-switch.h"

/* The PAGEMAP_SCAN UAPI (Linux 6.7), for C libraries whose headers lack it */
#ifndef PAGEMAP_SCAN
struct page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGEMAP_SCAN	_IOWR('f', 16, struct pm_scan_arg)
#endif

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP	   (1ULL << 62)

#define RES_CHUNK_PAGES 32768 /* 128 MiB per chunk */
#define RES_SUB_PAGES	512   /* 2 MiB: shared banks' page-cache blocks */
#define RES_REGIONS	256   /* PAGEMAP_SCAN regions per call */
#define RES_PM_BATCH	4096  /* pagemap entries per pread() */

static struct {
	int fd;	       /* /proc/self/pagemap, or -errno */
	bool has_scan; /* PAGEMAP_SCAN works */
} pm;

/* Scratch buffers of one walk. */
typedef struct ResWalk {
	ResidencyMethod method;
	unsigned char *vec;	     /* mincore(), RES_SUB_PAGES bytes */
	uint64_t *entries;	     /* pagemap, RES_PM_BATCH entries */
	struct page_region *regions; /* PAGEMAP_SCAN, RES_REGIONS */
	unsigned long *data;	     /* file data pages of a block */
	bool shmem_file; /* the bank's fd is a swappable memfd/tmpfs file */
	bool cachestat;	 /* use cachestat() */
} ResWalk;

/* PAGEMAP_SCAN for present-or-swapped pages of [start, end). */
static long pagemap_scan_call(uint64_t start, uint64_t end,
			      struct page_region *vec, uint64_t vec_len,
			      uint64_t *walk_end)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = start,
		.end = end,
		.vec = (uintptr_t)vec,
		.vec_len = vec_len,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};
	long ret = ioctl(pm.fd, PAGEMAP_SCAN, &arg);

	*walk_end = arg.walk_end;
	return ret;
}

/* Open pagemap and probe PAGEMAP_SCAN on a page of our own. */
static gpointer residency_probe(gpointer unused)
{
	struct page_region r;
	uint64_t walk_end;
	void *p;

	pm.fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm.fd < 0) {
		pm.fd = -errno;
		return NULL;
	}
	p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*(volatile char *)p = 1;
	/* ENOTTY: no such ioctl; EINVAL: a kernel with other arguments */
	pm.has_scan = pagemap_scan_call((uintptr_t)p, (uintptr_t)p + PAGE_SIZE,
					&r, 1, &walk_end) == 1 &&
		      r.categories & PAGE_IS_PRESENT;
	munmap(p, PAGE_SIZE);
	return NULL;
}

static void residency_init(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, residency_probe, NULL);
}

/*
 * KVMAGE_TEST_RESIDENCY_METHOD=pagemap|pagemap-scan overrides the probe.  For
 * tests only (both methods on one kernel); read at every call.
 */
ResidencyMethod residency_method(void)
{
	const char *env = test_switch_value(TEST_SWITCH_RESIDENCY_METHOD);

	residency_init();
	if (env && !strcmp(env, "pagemap"))
		return RESIDENCY_METHOD_PAGEMAP;
	if (env && !strcmp(env, "pagemap-scan"))
		return RESIDENCY_METHOD_PAGEMAP_SCAN;
	return pm.has_scan ? RESIDENCY_METHOD_PAGEMAP_SCAN :
			     RESIDENCY_METHOD_PAGEMAP;
}

const char *residency_method_str(ResidencyMethod m)
{
	return m == RESIDENCY_METHOD_PAGEMAP_SCAN ? "pagemap-scan" : "pagemap";
}

static bool walk_scan(ResWalk *w, uint64_t addr, uint64_t npages,
		      unsigned long *present, unsigned long *swapped,
		      uint64_t base, GError **errp)
{
	uint64_t start = addr, end = addr + npages * PAGE_SIZE, walk_end;

	while (start < end) {
		long n = pagemap_scan_call(start, end, w->regions, RES_REGIONS,
					   &walk_end);

		if (n < 0) {
			error_setg_errno(errp, errno, "PAGEMAP_SCAN failed");
			return false;
		}
		for (long i = 0; i < n; i++) {
			struct page_region *r = &w->regions[i];
			uint64_t first = base + (r->start - addr) / PAGE_SIZE;
			uint64_t len = (r->end - r->start) / PAGE_SIZE;

			if (r->categories & PAGE_IS_PRESENT)
				bitmap_set_range(present, first, len);
			else
				bitmap_set_range(swapped, first, len);
		}
		if (walk_end <= start) {
			error_setg(errp,
				   "PAGEMAP_SCAN made no progress at "
				   "0x%" G_GINT64_MODIFIER "x",
				   start);
			return false;
		}
		start = walk_end;
	}
	return true;
}

static bool walk_pagemap(ResWalk *w, uint64_t addr, uint64_t npages,
			 unsigned long *present, unsigned long *swapped,
			 uint64_t base, GError **errp)
{
	for (uint64_t done = 0; done < npages;) {
		uint64_t n = MIN(npages - done, RES_PM_BATCH);
		off_t off = (addr / PAGE_SIZE + done) * sizeof(uint64_t);
		ssize_t got =
			pread(pm.fd, w->entries, n * sizeof(uint64_t), off);

		if (got < 0) {
			error_setg_errno(errp, errno,
					 "reading /proc/self/pagemap failed");
			return false;
		}
		if (got < (ssize_t)sizeof(uint64_t)) {
			error_setg(errp, "short read of /proc/self/pagemap");
			return false;
		}
		n = got / sizeof(uint64_t);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t e = w->entries[i];

			if (e & PM_PRESENT)
				bitmap_set_range(present, base + done + i, 1);
			else if (e & PM_SWAP)
				bitmap_set_range(swapped, base + done + i, 1);
		}
		done += n;
	}
	return true;
}

/* w->data: the data pages (not holes) of [foff, foff + npages pages). */
static bool walk_file_data(ResWalk *w, int fd, uint64_t foff, uint64_t npages,
			   GError **errp)
{
	off_t pos = foff, end = foff + npages * PAGE_SIZE, data, hole;

	memset(w->data, 0, RES_SUB_PAGES / 8);
	while (pos < end) {
		data = lseek(fd, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			return true; /* only holes from pos to EOF */
		if (data < 0)
			goto fail;
		if (data >= end)
			return true;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			goto fail;
		hole = MIN(hole, end);
		bitmap_set_range(w->data, (data - foff) / PAGE_SIZE,
				 (hole - data) / PAGE_SIZE);
		pos = hole;
	}
	return true;
fail:
	error_setg_errno(errp, errno, "SEEK_DATA/SEEK_HOLE failed");
	return false;
}

/* cachestat(2) (Linux 6.5), for C libraries without it */
struct res_cachestat_range {
	uint64_t off;
	uint64_t len;
};

struct res_cachestat {
	uint64_t nr_cache;
	uint64_t nr_dirty;
	uint64_t nr_writeback;
	uint64_t nr_evicted; /* shmem: swapped out */
	uint64_t nr_recently_evicted;
};

#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

/*
 * Page-cache counts of a file range: one call tells whether a block has
 * anything in core or swapped at all.  False where the kernel lacks it
 * (or refuses): then every block is looked into page by page.
 */
static bool file_cachestat(ResWalk *w, int fd, uint64_t off, uint64_t len,
			   struct res_cachestat *cs)
{
	struct res_cachestat_range r = { .off = off, .len = len };

	return w->cachestat && syscall(__NR_cachestat, fd, &r, cs, 0) == 0;
}

/* Bits [b, b + n) all set?  @b and @n are multiples of BITS_PER_LONG. */
static bool bitmap_full(const unsigned long *bm, uint64_t b, uint64_t n)
{
	for (uint64_t i = b / BITS_PER_LONG; i < (b + n) / BITS_PER_LONG; i++) {
		if (bm[i] != ~0UL)
			return false;
	}
	return true;
}

/* Pages in core (w->vec) are present, and not swapped. */
static void merge_in_core(ResWalk *w, uint64_t npages, unsigned long *present,
			  unsigned long *swapped, uint64_t base)
{
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t b = base + i;

		if (w->vec[i] & 1) {
			bitmap_set_range(present, b, 1);
			swapped[b / BITS_PER_LONG] &=
				~(1UL << b % BITS_PER_LONG);
		}
	}
}

/*
 * Which pages of [@i, @i + @n) of the block at file offset @foff that
 * were not in core (w->vec) nor mapped are in swap: split the range until
 * cachestat() finds none or as many swapped as there are such pages.
 * The calls grow with the swapped/hole boundaries, not with the pages,
 * and never look beyond the block (lseek(SEEK_HOLE) would walk the file
 * to its next hole).  A page swapped out after mincore() may make a hole
 * next to it count as swapped: best-effort.
 */
static void split_swapped(ResWalk *w, int fd, uint64_t foff, uint64_t i,
			  uint64_t n, const unsigned long *present,
			  unsigned long *swapped, uint64_t base)
{
	struct res_cachestat cs;
	uint64_t out = 0;

	for (uint64_t k = i; k < i + n; k++)
		out += !(w->vec[k] & 1) && !bitmap_test(present, base + k);
	if (!out ||
	    !file_cachestat(w, fd, foff + i * PAGE_SIZE, n * PAGE_SIZE, &cs) ||
	    !cs.nr_evicted)
		return;
	if (cs.nr_evicted >= out) {
		for (uint64_t k = i; k < i + n; k++) {
			if (!(w->vec[k] & 1) && !bitmap_test(present, base + k))
				bitmap_set_range(swapped, base + k, 1);
		}
		return;
	}
	split_swapped(w, fd, foff, i, n / 2, present, swapped, base);
	split_swapped(w, fd, foff, i + n / 2, n - n / 2, present, swapped,
		      base);
}

/*
 * The page cache's view of @npages (at most RES_SUB_PAGES) of a shared
 * bank from @off: see the top of the file.  With cachestat(), one call
 * says whether the block has pages in core (all: no mincore() needed)
 * and in swap (none: no split_swapped()).  Without it (Linux < 6.5),
 * memfd/tmpfs data is found with lseek(), read before mincore() so that
 * a page populated in between is present, never swapped.
 */
static bool walk_shared_sub(ResWalk *w, RamBank *bank, uint64_t off,
			    uint64_t npages, unsigned long *present,
			    unsigned long *swapped, uint64_t base,
			    GError **errp)
{
	HostMemBackend *be = bank->backend;
	uint8_t *addr = (uint8_t *)bank->host + off;
	uint64_t foff = bank->backend_offset + off;
	bool file = w->shmem_file, stat = false;
	struct res_cachestat cs;

	if (file)
		stat = file_cachestat(w, be->fd, foff, npages * PAGE_SIZE, &cs);
	if (file && !stat && !walk_file_data(w, be->fd, foff, npages, errp))
		return false;
	if (stat && (!cs.nr_cache || cs.nr_cache == npages))
		memset(w->vec, cs.nr_cache == npages, npages);
	else if (mincore(addr, npages * PAGE_SIZE, w->vec)) {
		error_setg_errno(errp, errno, "mincore failed");
		return false;
	}
	merge_in_core(w, npages, present, swapped, base);
	if (stat && cs.nr_evicted)
		split_swapped(w, be->fd, foff, 0, npages, present, swapped,
			      base);
	if (!file || stat)
		return true;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t b = base + i;

		if (!(w->vec[i] & 1) && bitmap_test(w->data, i) &&
		    !bitmap_test(present, b))
			bitmap_set_range(swapped, b, 1);
	}
	return true;
}

/*
 * Shared banks: the page cache only for blocks of RES_SUB_PAGES where
 * this mapping's entries miss a page (entries zapped by uffd aging,
 * pages swapped out or never populated); a mapped block costs nothing.
 */
static bool walk_shared(ResWalk *w, RamBank *bank, uint64_t off,
			uint64_t npages, unsigned long *present,
			unsigned long *swapped, uint64_t base, GError **errp)
{
	for (uint64_t i = 0; i < npages; i += RES_SUB_PAGES) {
		uint64_t n = MIN(npages - i, RES_SUB_PAGES);

		if (n == RES_SUB_PAGES &&
		    bitmap_full(present, base + i, RES_SUB_PAGES))
			continue;
		if (!walk_shared_sub(w, bank, off + i * PAGE_SIZE, n, present,
				     swapped, base + i, errp))
			return false;
	}
	return true;
}

static bool bank_is_shared(RamBank *bank)
{
	return bank->backend && bank->backend->share;
}

/* Bits [base, base + npages) of @present and @swapped, cleared first. */
static bool walk_chunk(ResWalk *w, RamBank *bank, uint64_t off, uint64_t npages,
		       unsigned long *present, unsigned long *swapped,
		       uint64_t base, GError **errp)
{
	uint64_t addr = (uintptr_t)bank->host + off;
	bool ok;

	if (w->method == RESIDENCY_METHOD_PAGEMAP_SCAN)
		ok = walk_scan(w, addr, npages, present, swapped, base, errp);
	else
		ok = walk_pagemap(w, addr, npages, present, swapped, base,
				  errp);
	if (ok && bank_is_shared(bank))
		ok = walk_shared(w, bank, off, npages, present, swapped, base,
				 errp);
	return ok;
}

static bool residency_check(RamBank *bank, uint64_t offset, uint64_t len,
			    GError **errp)
{
	uint64_t ps = MAX(bank->page_size, PAGE_SIZE);

	if (!bank->backend || !bank->host) {
		error_setg(errp,
			   "bank at 0x%" G_GINT64_MODIFIER "x has no "
			   "memory",
			   bank->gpa);
		return false;
	}
	if (offset % ps || len % ps) {
		error_setg(errp,
			   "range 0x%" G_GINT64_MODIFIER
			   "x+0x%" G_GINT64_MODIFIER "x is not aligned to the "
			   "page size 0x%" G_GINT64_MODIFIER "x",
			   offset, len, ps);
		return false;
	}
	if (offset > bank->size || len > bank->size - offset) {
		error_setg(errp,
			   "range 0x%" G_GINT64_MODIFIER
			   "x+0x%" G_GINT64_MODIFIER "x is outside the bank "
			   "(size 0x%" G_GINT64_MODIFIER "x)",
			   offset, len, bank->size);
		return false;
	}
	return true;
}

/*
 * Can the file behind @be swap: memfd or tmpfs, not hugetlb?  Pages of a
 * disk file that are not in core are in the file, not in swap: absent.
 */
static bool backend_shmem_file(HostMemBackend *be)
{
	struct statfs sf;

	if (!be || be->fd < 0 || be->hugetlb || be->page_size > PAGE_SIZE)
		return false;
	if (be->type == HOSTMEM_MEMFD)
		return true;
	return !fstatfs(be->fd, &sf) && sf.f_type == TMPFS_MAGIC;
}

static bool residency_walk_init(ResWalk *w, RamBank *bank, GError **errp)
{
	residency_init();
	if (pm.fd < 0) {
		error_setg_errno(errp, -pm.fd,
				 "cannot open /proc/self/pagemap");
		return false;
	}
	w->method = residency_method();
	w->shmem_file = backend_shmem_file(bank->backend);
	w->cachestat =
		g_strcmp0(test_switch_value(TEST_SWITCH_RESIDENCY_CACHESTAT),
			  "off");
	if (w->method == RESIDENCY_METHOD_PAGEMAP_SCAN && !pm.has_scan) {
		error_setg(errp, "this kernel has no PAGEMAP_SCAN ioctl");
		return false;
	}
	w->vec = g_malloc(RES_SUB_PAGES);
	w->entries = g_new(uint64_t, RES_PM_BATCH);
	w->regions = g_new(struct page_region, RES_REGIONS);
	w->data = g_malloc(RES_SUB_PAGES / 8);
	return true;
}

static void residency_walk_free(ResWalk *w)
{
	g_free(w->vec);
	g_free(w->entries);
	g_free(w->regions);
	g_free(w->data);
}

bool residency_count(RamBank *bank, uint64_t offset, uint64_t len,
		     ResidencyCounts *out, GError **errp)
{
	size_t longs = RES_CHUNK_PAGES / BITS_PER_LONG;
	g_autofree unsigned long *present = g_new(unsigned long, longs);
	g_autofree unsigned long *swapped = g_new(unsigned long, longs);
	ResWalk w;
	bool ok = true;

	memset(out, 0, sizeof(*out));
	if (!residency_check(bank, offset, len, errp) ||
	    !residency_walk_init(&w, bank, errp))
		return false;
	out->best_effort = bank_is_shared(bank);
	for (uint64_t done = 0; ok && done < len;) {
		uint64_t n = MIN((len - done) / PAGE_SIZE, RES_CHUNK_PAGES);
		uint64_t p, s;

		memset(present, 0, longs * sizeof(long));
		memset(swapped, 0, longs * sizeof(long));
		ok = walk_chunk(&w, bank, offset + done, n, present, swapped, 0,
				errp);
		p = bitmap_weight(present, n);
		s = bitmap_weight(swapped, n);
		out->present += p * PAGE_SIZE;
		out->swapped += s * PAGE_SIZE;
		out->absent += (n - p - s) * PAGE_SIZE;
		done += n * PAGE_SIZE;
	}
	residency_walk_free(&w);
	if (!ok)
		memset(out, 0, sizeof(*out));
	return ok;
}

bool residency_bitmap(RamBank *bank, uint64_t offset, uint64_t len,
		      unsigned long *present, unsigned long *swapped,
		      GError **errp)
{
	uint64_t nbits = len / PAGE_SIZE;
	size_t longs = BITS_TO_LONGS(nbits);
	g_autofree unsigned long *p_tmp = NULL, *s_tmp = NULL;
	ResWalk w;
	bool ok = true;

	if (!residency_check(bank, offset, len, errp))
		return false;
	/* the walk needs both: swapped pages are those not present */
	if (!present)
		present = p_tmp = g_new(unsigned long, longs);
	if (!swapped)
		swapped = s_tmp = g_new(unsigned long, longs);
	memset(present, 0, longs * sizeof(long));
	memset(swapped, 0, longs * sizeof(long));
	if (!residency_walk_init(&w, bank, errp))
		return false;
	for (uint64_t i = 0; ok && i < nbits; i += RES_CHUNK_PAGES) {
		uint64_t n = MIN(nbits - i, RES_CHUNK_PAGES);

		ok = walk_chunk(&w, bank, offset + i * PAGE_SIZE, n, present,
				swapped, i, errp);
	}
	residency_walk_free(&w);
	return ok;
}
