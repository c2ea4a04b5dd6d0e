/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The uffd aging backend: one UffdTrack per RAM bank of a shared memdev,
 * harvested into an Aging at every scan, which then re-arms (zaps) the
 * next set of pages.  Sees reads and writes.
 *
 * Modes: sample 1 ("full") zaps every page at every scan: exact per-page
 * ages, every touched page costs one fault round trip per interval.
 * sample N > 1 ("sampled") cuts each bank into blocks of B pages (B a
 * power of two chosen so that each phase holds at least 128 blocks, at
 * most 512 pages) and zaps the blocks b % N == k at scan k: a page is
 * re-armed every N scans, and a scan zaps about 128 ranges whatever the
 * size (the kernel's cost, and the guest's stall, is per range).  Every
 * arming is reported to the core (aging_set_sample(),
 * aging_sample_armed()), which keeps per page the first arming after
 * its last observed access: pages are proven idle from there on, so
 * proven ages lag the truth by at most N scans, and estimates cold bytes
 * below N scans from the cohort armed at the threshold, with its
 * statistical error (see include/aging/aging.h).  Every page is armed
 * when the backend starts, and reclaim can arm pages on demand
 * (aging_set_arm()) to confirm that candidates stay idle.
 *
 * Huge-page banks (hugetlbfs): one tracking unit per huge page.  Tracking
 * page i of a bank is aging unit i of the bank's range (both count from
 * the bank's start in its page size), so the sample i % N == k zapped by
 * a scan is the same set of units for the tracker and the aging core;
 * the harvest is fed to the core as the first 4 KiB bit of each huge page
 * and the core writes one age per huge page, counted at its size.
 *
 * Limits (refused with a message): private or anonymous banks (userfaultfd
 * MINOR mode needs shared memory).  A bank must have an alias
 * (RamBank.host_alias, see system/ram.h): kvmage's own accesses go
 * through it, so they never fault and never count; the trackers register
 * and zap the guest mapping (RamBank.host).
 *
 * Locking: uffd_aging_scan() runs on one thread at a time (the harvest
 * thread); it takes the Aging's lock with aging_scan_begin() and zaps
 * under it, so a zap never races a harvest.  The UffdTracks' handler
 * threads only set accessed bits.  The last-scan stats have their own
 * mutex.
 */
#ifndef ACCEL_UFFD_AGING_H
#define ACCEL_UFFD_AGING_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "memory/uffd-track.h"
#include "aging/aging.h"

extern const AgingCoverage uffd_aging_full_coverage;

/* Coverage of @sample (1: full); static strings, sampled = 1 / @sample. */
AgingCoverage uffd_aging_coverage(unsigned sample);

typedef struct UffdAging UffdAging;

/*
 * Track the RAM banks of @ram backed by @backend (all when NULL) and feed
 * @a, re-arming 1 page in @sample per scan.  Registers the banks now and
 * zaps the first sample.  Main thread, before or while vCPUs run.
 */
UffdAging *uffd_aging_new(Aging *a, RamList *ram, HostMemBackend *backend,
			  unsigned sample, GError **errp);
/*
 * Switch to 1 page in @sample (1: full): arms the new sample's first
 * phase now and tells the core (aging_set_sample()); pages the old sample
 * armed stay armed until touched.  On a zap failure the old sample goes
 * on.  Only while no scan runs (the harvest thread stopped; main thread).
 */
bool uffd_aging_set_sample(UffdAging *ua, unsigned sample, GError **errp);
/* Stops the handlers and unregisters; blocked vCPUs are released. */
void uffd_aging_free(UffdAging *ua);
/* One scan (an AgingScanFn: pass to aging_start()). */
bool uffd_aging_scan(void *opaque, unsigned ticks, GError **errp);
/* Summed tracker counters (faults, zaps, costs) of all banks. */
void uffd_aging_stats(UffdAging *ua, UffdTrackStats *st);

#endif
