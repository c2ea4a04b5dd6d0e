/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM's half of the machine's dirty log (include/memory/dirty-log.h):
 * the RAM memslots as the dirty log's slot table, and the ops that turn
 * KVM_MEM_LOG_DIRTY_PAGES on and off and harvest one slot with
 * KVM_GET_DIRTY_LOG and manual protection (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2),
 * then KVM_CLEAR_DIRTY_LOG in bounded chunks.  It knows no consumer: the
 * memory layer fans the bits out.
 *
 * Modes: logging on enables KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
 * KVM_DIRTY_LOG_INITIALLY_SET.  INITIALLY_SET makes turning logging on a
 * cheap flag flip (KVM fills the bitmap with ones instead of
 * write-protecting the whole slot under the MMU lock); the first harvest
 * then reports every page written, which for aging means "every page
 * starts young", the conservative start.
 *
 * Chunks: KVM_CLEAR_DIRTY_LOG write-protects the cleared pages under the
 * MMU lock; each call covers at most DIRTY_LOG_CLEAR_CHUNK pages, and
 * only words with bits set are cleared, so no call holds the lock long.
 * 256 pages (1 MiB, four bitmap words) measured on the kvm_pvm host
 * (shadow paging): 13-60 us per fully dirty call (50-100 ns/page); a
 * 96 MiB scan with one GET and two 64-page clears takes 5-11 us in all.
 * Rare calls of the first, all-dirty scan took 3-8 ms of wall time but
 * 50-140 us of CPU (the harvest thread was preempted on the 2-core host).
 *
 * Locking: the harvest op runs with the memory layer's slot lock held
 * (one harvest per slot at a time); start and stop run in the main
 * thread.  Nothing here keeps state of its own.
 */
#ifndef ACCEL_DIRTY_LOG_H
#define ACCEL_DIRTY_LOG_H

#include <stdbool.h>
#include <glib.h>

#include "accel/kvm.h"
#include "memory/dirty-log.h"

#define DIRTY_LOG_CLEAR_CHUNK 256 /* pages per KVM_CLEAR_DIRTY_LOG */

/*
 * Add the RAM memslots of @ram (as kvm_ram_register() split them) to the
 * slot table of the empty @dl and connect KVM's ops to it.  No ioctl:
 * logging goes on with @dl's first consumer, which fails with
 * KVMAGE_ERROR_KVM_MISSING_CAP when KVM lacks manual protection.  Main
 * thread, after kvm_ram_register(); @s outlives @dl's consumers.
 */
bool kvm_dirty_log_connect(KvmState *s, DirtyLog *dl, RamList *ram,
			   GError **errp);

#endif
