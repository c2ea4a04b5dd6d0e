/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine's dirty log: which guest pages were written, per memslot,
 * for every consumer that asked (aging now, migration and a dirty-rate
 * query later).  The machine creates one DirtyLog and the accelerator
 * connects it (accel/kvm/dirty-log.c: the slot table and an ops table
 * that turns logging on and off and harvests one slot); consumers never
 * see the accelerator.
 *
 * Consumers are reference counted: the first dirty_log_client_add() turns
 * logging on (ops->start), the last dirty_log_client_remove() turns it off
 * (ops->stop).  Each consumer owns a bitmap per slot it covers; a harvest
 * ORs the slot's new bits into the bitmap of every consumer covering the
 * slot, so no consumer steals another's bits, and a consumer fetches
 * (reads and clears) only its own bitmaps.  A new consumer's bitmaps start
 * all set: it knows nothing of the past, every page may be dirty.
 *
 * Offline (unit tests): dirty_log_new() without dirty_log_connect();
 * dirty_log_add_slot() builds the table, logging needs no ops, and
 * dirty_log_inject() stands in for a harvest of one slot.
 *
 * Sees writes only: a page the guest only reads is never dirty.
 *
 * Locking: the slot table and the ops are set up before any consumer
 * exists (main thread) and read-only after.  Each slot has a mutex, held
 * by the harvest of that slot and by a consumer fetching that slot's
 * bits; a harvest takes it with a trylock and skips (and counts) a busy
 * slot: its bits stay in the accelerator for the next harvest.  The
 * consumer list is changed and walked under the DirtyLog's mutex, which
 * a whole harvest holds, so a consumer comes or goes between harvests.
 */
#ifndef MEMORY_DIRTY_LOG_H
#define MEMORY_DIRTY_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "memory/ram.h"

typedef struct DirtyLog DirtyLog;
typedef struct DirtyLogClient DirtyLogClient;

/* One memslot of guest RAM. */
typedef struct DirtyLogSlotInfo {
	uint32_t slot;	 /* the accelerator's slot id */
	uint64_t gpa;	 /* guest-physical start */
	uint64_t npages; /* 4 KiB pages */
	RamBank *bank;	 /* the RAM bank it is part of */
	void *hva;	 /* guest mapping of @gpa (NULL offline) */
} DirtyLogSlotInfo;

/* Costs of one harvest (dirty_log_sync()). */
typedef struct DirtyLogStats {
	uint64_t kernel_ns; /* in the accelerator's harvest calls */
	uint64_t user_ns;   /* fan-out and bookkeeping */
	uint64_t pages;	    /* pages covered */
	uint64_t dirty;	    /* dirty pages found */
	uint64_t get_calls, clear_calls;
	uint64_t max_clear_ns; /* longest single re-protect call */
	uint64_t skipped_slots;
} DirtyLogStats;

/*
 * What the accelerator does for the dirty log; @opaque is given to
 * dirty_log_connect().  Main thread for start and stop; harvest from the
 * thread running dirty_log_sync(), with the slot's lock held.
 */
typedef struct DirtyLogOps {
	/* Turn logging on for every slot of @dl (first consumer). */
	bool (*start)(void *opaque, DirtyLog *dl, GError **errp);
	/* Turn it off again (last consumer gone); failures are logged. */
	void (*stop)(void *opaque, DirtyLog *dl);
	/*
	 * Fill @bits (si->npages bits, all overwritten) with the pages
	 * written since the previous harvest of the slot and re-protect
	 * them; add the costs to @st.
	 */
	bool (*harvest)(void *opaque, const DirtyLogSlotInfo *si,
			unsigned long *bits, DirtyLogStats *st, GError **errp);
} DirtyLogOps;

/* An empty dirty log: no slots, no ops (offline until connected). */
DirtyLog *dirty_log_new(void);
/* Free; no consumer may remain (logging is off then). */
void dirty_log_free(DirtyLog *dl);

/*
 * Add a slot to the table (the accelerator's connect, or a test).  Main
 * thread, before the first consumer.
 */
void dirty_log_add_slot(DirtyLog *dl, const DirtyLogSlotInfo *si);
/* Set the accelerator's ops.  Main thread, before the first consumer. */
void dirty_log_connect(DirtyLog *dl, const DirtyLogOps *ops, void *opaque);

/* The slot table; any thread once the first consumer exists. */
unsigned dirty_log_nr_slots(DirtyLog *dl);
const DirtyLogSlotInfo *dirty_log_slot_info(DirtyLog *dl, unsigned i);

/*
 * A new consumer @name of the slots of the RAM banks of @backend (every
 * slot when NULL); its bitmaps start all set.  The first consumer turns
 * logging on, which can fail (the accelerator lacks a capability:
 * KVMAGE_ERROR_KVM_MISSING_CAP).  Main thread.
 */
DirtyLogClient *dirty_log_client_add(DirtyLog *dl, const char *name,
				     const HostMemBackend *backend,
				     GError **errp);
/* Remove @c; the last consumer turns logging off.  Main thread. */
void dirty_log_client_remove(DirtyLogClient *c);
/* The dirty log @c consumes.  Any thread. */
DirtyLog *dirty_log_client_log(DirtyLogClient *c);
/* Does @c cover slot @i?  Any thread: fixed when @c is added. */
bool dirty_log_client_covers(DirtyLogClient *c, unsigned i);

/*
 * Harvest every slot once (dirty_log_sync()) or the slots @c covers
 * (dirty_log_client_sync()) and fan the bits out to every consumer
 * covering each slot.  @st (may be NULL) receives the costs.  On a
 * harvest failure it stops with an error.  Offline: does nothing.
 */
bool dirty_log_sync(DirtyLog *dl, DirtyLogStats *st, GError **errp);
bool dirty_log_client_sync(DirtyLogClient *c, DirtyLogStats *st, GError **errp);

/*
 * Copy @c's bits for slot @i into @dst (npages bits of the slot) and clear
 * them; @dst NULL drops them.  Returns the slot's info.  Takes the slot's
 * lock (waits for a harvest of that slot, which is bounded).  @c must
 * cover slot @i.
 */
const DirtyLogSlotInfo *dirty_log_client_fetch(DirtyLogClient *c, unsigned i,
					       unsigned long *dst);

/* Offline: @bits stand for a harvest of slot @i, fanned out likewise. */
void dirty_log_inject(DirtyLog *dl, unsigned i, const unsigned long *bits);

#endif
