/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Residency of guest RAM banks, read from the kernel's own page tables:
 * how many bytes are present in memory, swapped out, or absent (never
 * populated, or dropped).  Used by query-memory-residency, by reclaim to
 * measure what really happened, and to count refaults.
 *
 * Method: the PAGEMAP_SCAN ioctl on /proc/self/pagemap where the kernel
 * has it (6.7+), else batched pread()s of pagemap entries (PM_PRESENT,
 * PM_SWAP); never one read per page.  Shared banks (memfd, file
 * share=on): pagemap only sees this process's page-table entries, and a
 * swapped-out shmem page whose entry was dropped is not reported as
 * swapped (seed 002), so those banks combine pagemap with mincore() (and
 * the file's holes) and their figures are flagged best-effort.
 *
 * Locking: none needed.  The functions only read the kernel's view of the
 * bank; any thread may call them, concurrently with vCPUs (figures are
 * then a snapshot that may be stale by the time they are returned).
 */
#ifndef MEMORY_RESIDENCY_H
#define MEMORY_RESIDENCY_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "memory/ram.h"

typedef enum {
	RESIDENCY_METHOD_PAGEMAP_SCAN, /* PAGEMAP_SCAN ioctl */
	RESIDENCY_METHOD_PAGEMAP,      /* batched pagemap reads */
} ResidencyMethod;

typedef struct ResidencyCounts {
	uint64_t present; /* bytes resident in memory */
	uint64_t swapped; /* bytes in swap */
	uint64_t absent;  /* bytes neither (never populated or dropped) */
	bool best_effort; /* shared memory: the swapped/absent split is a
			     best-effort reading (see above) */
} ResidencyCounts;

/* The method in use on this kernel (probed once).  Any thread. */
ResidencyMethod residency_method(void);
const char *residency_method_str(ResidencyMethod m);

/*
 * Count [@offset, @offset + @len) of @bank (page-aligned, inside it) into
 * @out (overwritten).  A huge page counts with its whole size.
 */
bool residency_count(RamBank *bank, uint64_t offset, uint64_t len,
		     ResidencyCounts *out, GError **errp);

/*
 * Per-page bitmaps of the same range, bit i for the 4 KiB page at
 * @offset + i * 4096 (all bits of a huge page alike): @present and/or
 * @swapped (either may be NULL), len / 4096 bits rounded up to longs,
 * overwritten.
 */
bool residency_bitmap(RamBank *bank, uint64_t offset, uint64_t len,
		      unsigned long *present, unsigned long *swapped,
		      GError **errp);

#endif
