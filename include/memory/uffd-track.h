/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Software access tracking of a shared RAM bank with userfaultfd MINOR
 * faults, the way KVM tracks access where hardware A/D bits are missing.
 *
 * The guest mapping of the bank (a MAP_SHARED mapping of a memfd or of a
 * file) is registered with UFFDIO_REGISTER_MODE_MINOR.  Zapping pages
 * (MADV_DONTNEED on that shared mapping) drops their page-table entries
 * while the page cache keeps the data; the next touch, read or write, by
 * any thread or by KVM on a vCPU's behalf, raises a minor fault.  A
 * dedicated handler thread records the page in the accessed bitmap and
 * maps it back with UFFDIO_CONTINUE.  The range is registered for MISSING
 * faults too: the first touch of a page that is not in the file yet (never
 * touched since the file was created, or hole-punched) is recorded the
 * same way and filled with zeros (UFFDIO_ZEROPAGE; a huge page:
 * UFFDIO_COPY of a zero page), as the kernel would have done, so a page
 * first touched after a zap is not missed.  (Where the kernel would have
 * failed the fault, e.g. out of memory, the fill fails too: the faulter
 * is woken, faults again and @errors counts each try.)  Private anonymous
 * memory cannot be registered this way (EINVAL) and is refused.
 *
 * kvmage's own accesses to the bank must go through a second, unregistered
 * mapping of the same file (RamBank.host_alias, which ram_gpa_to_hva()
 * returns; see memory/ram.h): those never fault and never count.  Nothing
 * may touch the registered mapping from the handler thread (it would wait
 * for itself).
 *
 * Units: one bit per tracking page of @page_size bytes (4 KiB normally, a
 * huge page for hugetlbfs), bit i covering host + i * page_size.  On
 * hugetlbfs (UFFD_FEATURE_MINOR_HUGETLBFS) zapping drops whole, aligned
 * huge pages (MADV_DONTNEED), a touch anywhere in one raises one fault,
 * and UFFDIO_CONTINUE maps the whole aligned huge page back: one fault
 * per huge page per zap, 7-45 us round trip on the test host (loaded),
 * about what a 4 KiB fault costs.
 *
 * Locking: the accessed bitmap is shared between the handler thread, which
 * sets bits with atomic OR, and the one scanning thread, which takes them
 * with atomic exchange (uffd_track_harvest()).  Zapping and harvesting are
 * for one thread at a time (the scanning thread); counters are atomic.
 * uffd_track_free() stops the handler, then closes the userfaultfd, which
 * releases every thread still blocked on a fault.
 */
#ifndef MEMORY_UFFD_TRACK_H
#define MEMORY_UFFD_TRACK_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct UffdTrack UffdTrack;

/* No handler thread: faults stay blocked until free (tests). */
#define UFFD_TRACK_NO_HANDLER (1u << 0)

typedef struct UffdTrackStats {
	uint64_t faults;      /* faults resolved, missing ones included */
	uint64_t missing;     /* of which pages not in the file yet */
	uint64_t eexist;      /* the page was there already (woken) */
	uint64_t errors;      /* other resolution errors (thread woken) */
	uint64_t handler_ns;  /* handler time, read to resolve */
	uint64_t zapped;      /* pages zapped */
	uint64_t zap_calls;   /* madvise/process_madvise calls */
	uint64_t zap_ns;      /* time spent zapping */
	bool process_madvise; /* batching through process_madvise */
} UffdTrackStats;

/*
 * Track [@host, @host + @size), a MAP_SHARED read/write mapping of a memfd
 * or file (hugetlbfs too, @page_size then its huge page size).  @name
 * names the bank in messages.  Fails, saying why, if userfaultfd or its
 * MINOR mode is unavailable or if the range is not shared memory.
 */
UffdTrack *uffd_track_new(const char *name, void *host, uint64_t size,
			  uint64_t page_size, unsigned flags, GError **errp);
void uffd_track_free(UffdTrack *t);

uint64_t uffd_track_npages(UffdTrack *t);

/*
 * Zap every block of @block tracking pages whose block index b (page
 * index / @block) satisfies b % @stride == @phase (@stride 1: all), so
 * that the next touch of each of its pages faults and is recorded.
 * Contiguous pages are zapped with one call; scattered blocks in iovec
 * batches through process_madvise() on this process where the kernel
 * supports it, madvise() otherwise: the kernel's cost is per range
 * (page-table walk, TLB and secondary MMU flush), so fewer, longer
 * ranges cost the guest less.  Scanning thread.
 */
bool uffd_track_zap(UffdTrack *t, unsigned stride, unsigned block,
		    unsigned phase, GError **errp);
/* Zap tracking pages [@first, @first + @n).  Scanning thread. */
bool uffd_track_zap_range(UffdTrack *t, uint64_t first, uint64_t n,
			  GError **errp);

/*
 * Move the accessed bitmap into @out (npages bits, rounded up to longs)
 * and clear it: @out then holds the pages touched since the previous
 * harvest.  Returns the number of bits set.  Scanning thread.
 */
uint64_t uffd_track_harvest(UffdTrack *t, unsigned long *out);

/*
 * The counters.  Any thread for the fault counters (atomic); the zap
 * counters are the scanning thread's: read them there or while it is
 * stopped.
 */
void uffd_track_stats(UffdTrack *t, UffdTrackStats *st);

#endif
