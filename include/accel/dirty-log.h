/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dirty-log harvester: KVM_GET_DIRTY_LOG with manual protection
 * (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), then KVM_CLEAR_DIRTY_LOG in bounded
 * chunks.  One harvester per VM, one per-slot state per RAM memslot, fanned
 * out to several clients (aging now, migration later): each client owns a
 * bitmap per slot and a harvest ORs new bits into every client's bitmap,
 * so no client steals another's bits.  A client consumes (reads and
 * clears) only its own bitmaps.
 *
 * Layering: dirty_log_sync() (entry point) -> dirty_log_slot_sync()
 * (per-slot: GET, fan out, CLEAR) -> bitmaps.
 *
 * Modes: the VM gets KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
 * KVM_DIRTY_LOG_INITIALLY_SET.  INITIALLY_SET makes turning logging on a
 * cheap flag flip (KVM fills the bitmap with ones instead of
 * write-protecting the whole slot under the MMU lock); the first harvest
 * then reports every page written, which for aging means "every page
 * starts young", the conservative start.  Clients added later likewise
 * start with all bits set.
 *
 * Chunks: KVM_CLEAR_DIRTY_LOG write-protects the cleared pages under the
 * MMU lock; each call covers at most DIRTY_LOG_CLEAR_CHUNK pages, and
 * only words with bits set are cleared, so no call holds the lock long.
 * 256 pages (1 MiB, four bitmap words) measured on the kvm_pvm host
 * (shadow paging): 13-60 us per fully dirty call (50-100 ns/page); a
 * 96 MiB scan with one GET and two 64-page clears takes 5-11 us in all.  Rare calls of
 * the first, all-dirty scan took 3-8 ms of wall time but 50-140 us of
 * CPU (the harvest thread was preempted on the 2-core host).
 *
 * Sees writes only: a page the guest only reads is never dirty.
 *
 * Locking: the slot table is built by dirty_log_new() and read-only after.
 * Each slot has a mutex held by the harvest of that slot and by a client
 * consuming that slot's bits; dirty_log_sync() takes it with a trylock
 * and skips (and counts) a busy slot: its bits stay in KVM for the next
 * harvest.  Clients are added and removed under the DirtyLog's mutex,
 * which the harvest also holds (so not while a harvest runs).
 */
#ifndef ACCEL_DIRTY_LOG_H
#define ACCEL_DIRTY_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "accel/kvm.h"
#include "aging/aging.h"

#define DIRTY_LOG_CLEAR_CHUNK 256 /* pages per KVM_CLEAR_DIRTY_LOG */

typedef struct DirtyLog DirtyLog;
typedef struct DirtyLogClient DirtyLogClient;

typedef struct DirtyLogSlotInfo {
	uint32_t slot;
	uint64_t gpa;
	uint64_t npages; /* 4 KiB pages */
	RamBank *bank;
} DirtyLogSlotInfo;

typedef struct DirtyLogStats {
	uint64_t kernel_ns; /* in GET/CLEAR ioctls */
	uint64_t user_ns;   /* fan-out and bookkeeping */
	uint64_t pages;	    /* pages covered */
	uint64_t dirty;	    /* dirty pages found */
	uint64_t get_calls, clear_calls;
	uint64_t max_clear_ns; /* longest single KVM_CLEAR_DIRTY_LOG */
	uint64_t skipped_slots;
} DirtyLogStats;

/*
 * Probe KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (KVMAGE_ERROR_KVM_MISSING_CAP
 * naming it when absent), enable it and turn on KVM_MEM_LOG_DIRTY_PAGES
 * for every RAM memslot of @ram (re-registering the slots with the flag).
 * Main thread, after kvm_ram_register().
 */
DirtyLog *dirty_log_new(KvmState *s, RamList *ram, GError **errp);
/*
 * For tests without KVM: the same slot table (split at @slot_max_bytes),
 * no ioctls; dirty_log_inject() stands in for KVM_GET_DIRTY_LOG of slot
 * @i and fans @bits out exactly like a harvest.
 */
DirtyLog *dirty_log_new_offline(RamList *ram, uint64_t slot_max_bytes,
				GError **errp);
void dirty_log_inject(DirtyLog *dl, unsigned i, const unsigned long *bits);
/* Turn logging off again and free.  No client may remain. */
void dirty_log_free(DirtyLog *dl);

unsigned dirty_log_nr_slots(DirtyLog *dl);
const DirtyLogSlotInfo *dirty_log_slot_info(DirtyLog *dl, unsigned i);

/* A new client; its bitmaps start all set. */
DirtyLogClient *dirty_log_client_add(DirtyLog *dl, const char *name);
void dirty_log_client_remove(DirtyLogClient *c);

/*
 * Harvest every slot once.  @st (may be NULL) receives the costs.  On an
 * ioctl failure the harvest stops with an error.  Any one thread at a
 * time (the harvest thread).
 */
bool dirty_log_sync(DirtyLog *dl, DirtyLogStats *st, GError **errp);

/*
 * Hand @c's bits for slot @i to @fn, then clear them.  Takes the slot's
 * mutex (waits for a harvest of that slot, which is bounded).
 */
typedef void (*DirtyLogConsumeFn)(void *opaque, const DirtyLogSlotInfo *si,
				  const unsigned long *bitmap);
void dirty_log_client_consume(DirtyLogClient *c, unsigned i,
			      DirtyLogConsumeFn fn, void *opaque);

/* The dirty-log aging backend: harvest, then feed @a from a client. */
extern const AgingCoverage dirty_log_coverage;

typedef struct DirtyLogAging DirtyLogAging;
DirtyLogAging *dirty_log_aging_new(DirtyLog *dl, Aging *a);
/*
 * For an Aging that already holds ages (a backend switch): harvest now
 * and drop this client's bits, which say "unknown history" (all set) or
 * hold writes from before the switch, so that its next scan reports only
 * writes from now on.  Other clients get their bits as from any harvest.
 * Not while this client's scan runs (its harvest thread stopped).
 */
bool dirty_log_aging_rebase(DirtyLogAging *da, GError **errp);
/* Detach from the harvester (which goes on for its other clients). */
void dirty_log_aging_free(DirtyLogAging *da);
/* One scan (an AgingScanFn: pass to aging_start()). */
bool dirty_log_aging_scan(void *opaque, unsigned ticks, GError **errp);
/* Harvest stats of the last scan. */
void dirty_log_aging_last(DirtyLogAging *da, DirtyLogStats *st);

#endif
