/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RAM section's sender: pages classified by residency, holes not
 * read, swapped pages through the bounded cold lane (include/migration/ram.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "memory/residency.h"
#include "migration/ram.h"
#include "util/bitmap.h"
#include "util/error.h"

typedef struct SaveCtx {
	MigStream *s;
	RamBank *bank;
	uint32_t index; /* of the bank among the migrating ones */
	uint8_t *hva;	/* kvmage's view of the bank */
	MigRamStats *st;
	uint64_t rss0; /* VmRSS at the start, bytes */
	unsigned long present[BITS_TO_LONGS(MIG_RAM_SCAN_PAGES)];
	unsigned long swapped[BITS_TO_LONGS(MIG_RAM_SCAN_PAGES)];
} SaveCtx;

/* VmRSS of this process in bytes, 0 if it cannot be read. */
static uint64_t vm_rss(void)
{
	g_autofree char *status = NULL;
	const char *p;

	/* without /proc there is no figure: the statistic stays 0 */
	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return 0;
	p = strstr(status, "\nVmRSS:");
	return p ? g_ascii_strtoull(p + 7, NULL, 10) * 1024 : 0;
}

static bool put_rec(SaveCtx *c, MigRamRecKind kind, uint64_t off,
		    uint64_t npages, GError **errp)
{
	c->st->bytes += 24;
	return mig_put_u32(c->s, kind, errp) &&
	       mig_put_u32(c->s, c->index, errp) &&
	       mig_put_u64(c->s, off, errp) && mig_put_u64(c->s, npages, errp);
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;

	for (size_t i = 0; i < PAGE_SIZE / sizeof(*q); i++) {
		if (q[i])
			return false;
	}
	return true;
}

/* Resident pages [off, off + n pages): DATA and ZERO records. */
static bool save_resident(SaveCtx *c, uint64_t off, uint64_t n, GError **errp)
{
	uint64_t i = 0;

	while (i < n) {
		bool zero = page_is_zero(c->hva + off + i * PAGE_SIZE);
		uint64_t j = i + 1;

		while (j < n &&
		       page_is_zero(c->hva + off + j * PAGE_SIZE) == zero)
			j++;
		if (!put_rec(c, zero ? MIG_RAM_REC_ZERO : MIG_RAM_REC_DATA,
			     off + i * PAGE_SIZE, j - i, errp))
			return false;
		if (zero) {
			c->st->zero_pages += j - i;
		} else {
			if (!mig_put(c->s, c->hva + off + i * PAGE_SIZE,
				     (j - i) * PAGE_SIZE, errp))
				return false;
			c->st->data_pages += j - i;
			c->st->bytes += (j - i) * PAGE_SIZE;
		}
		i = j;
	}
	/*
	 * Reading through the alias mapped the pages there too: drop those
	 * entries (the data stays in the shared file), so that the alias
	 * does not add to the process's RSS.  Not for private banks (no
	 * alias: it would drop the data) nor huge pages.
	 */
	if (c->bank->host_alias && c->bank->page_size == PAGE_SIZE &&
	    madvise(c->hva + off, n * PAGE_SIZE, MADV_DONTNEED)) {
		error_setg_errno(errp, errno, "migration: madvise(DONTNEED)");
		return false;
	}
	return true;
}

/* Pages of a batch MADV_PAGEOUT left in memory. */
static uint64_t still_resident(SaveCtx *c, uint64_t off, uint64_t n)
{
	unsigned long bits[BITS_TO_LONGS(MIG_RAM_COLD_BATCH)];
	uint64_t left = 0;

	/* no reading: count none, the next scan sees them anyway */
	if (!residency_bitmap(c->bank, off, n * PAGE_SIZE, bits, NULL, NULL))
		return 0;
	for (uint64_t i = 0; i < n; i++)
		left += bitmap_test(bits, i);
	return left;
}

/* One cold batch: read (swap in), send, advise out again. */
static bool save_cold_batch(SaveCtx *c, uint64_t off, uint64_t n, GError **errp)
{
	uint8_t *p = c->hva + off;
	uint64_t rss;

	if (!put_rec(c, MIG_RAM_REC_COLD, off, n, errp) ||
	    !mig_put(c->s, p, n * PAGE_SIZE, errp) ||
	    !mig_stream_flush(c->s, errp))
		return false;
	rss = vm_rss();
	if (rss > c->rss0)
		c->st->peak_extra_rss =
			MAX(c->st->peak_extra_rss, rss - c->rss0);
	if (madvise(p, n * PAGE_SIZE, MADV_PAGEOUT)) {
		error_setg_errno(errp, errno, "migration: madvise(PAGEOUT)");
		return false;
	}
	/* a page in another CPU's LRU batch is skipped: try once more */
	if (still_resident(c, off, n) &&
	    madvise(p, n * PAGE_SIZE, MADV_PAGEOUT)) {
		error_setg_errno(errp, errno, "migration: madvise(PAGEOUT)");
		return false;
	}
	c->st->cold_left_resident += still_resident(c, off, n);
	c->st->cold_pages += n;
	c->st->cold_batches++;
	c->st->bytes += n * PAGE_SIZE;
	return true;
}

static bool save_cold(SaveCtx *c, uint64_t off, uint64_t n, GError **errp)
{
	for (uint64_t i = 0; i < n; i += MIG_RAM_COLD_BATCH) {
		if (!save_cold_batch(c, off + i * PAGE_SIZE,
				     MIN(n - i, MIG_RAM_COLD_BATCH), errp))
			return false;
	}
	return true;
}

/* 0 never populated, 1 resident, 2 swapped. */
static int page_class(SaveCtx *c, uint64_t i)
{
	if (bitmap_test(c->present, i))
		return 1;
	return bitmap_test(c->swapped, i) ? 2 : 0;
}

static bool save_run(SaveCtx *c, int cls, uint64_t off, uint64_t n,
		     GError **errp)
{
	switch (cls) {
	case 1:
		return save_resident(c, off, n, errp);
	case 2:
		return save_cold(c, off, n, errp);
	default:
		c->st->hole_pages += n;
		return put_rec(c, MIG_RAM_REC_HOLE, off, n, errp);
	}
}

/* One scan: classify [off, off + len) and send it in runs. */
static bool save_chunk(SaveCtx *c, uint64_t off, uint64_t len, GError **errp)
{
	uint64_t n = len / PAGE_SIZE, i = 0;

	if (!residency_bitmap(c->bank, off, len, c->present, c->swapped, errp))
		return false;
	while (i < n) {
		int cls = page_class(c, i);
		uint64_t j = i + 1;

		while (j < n && page_class(c, j) == cls)
			j++;
		if (!save_run(c, cls, off + i * PAGE_SIZE, j - i, errp))
			return false;
		i = j;
	}
	return true;
}

bool mig_ram_save(MigStream *s, RamList *ram, MigRamStats *st, GError **errp)
{
	SaveCtx c = { .s = s, .st = st };
	const uint64_t chunk = MIG_RAM_SCAN_PAGES * PAGE_SIZE;
	RamBank *b;

	memset(st, 0, sizeof(*st));
	c.rss0 = vm_rss();
	ram_for_each_bank(ram, b) {
		if (!mig_bank_migrates(b))
			continue;
		c.bank = b;
		c.hva = ram_gpa_to_hva(ram, b->gpa, b->size);
		g_assert(c.hva);
		for (uint64_t off = 0; off < b->size; off += chunk) {
			if (!save_chunk(&c, off, MIN(chunk, b->size - off),
					errp))
				return false;
		}
		c.index++;
	}
	return put_rec(&c, MIG_RAM_REC_END, 0, 0, errp);
}
