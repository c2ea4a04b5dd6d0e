/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM's half of the dirty log: memslot table, logging flags, GET and
 * chunked CLEAR.  See include/accel/dirty-log.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <linux/kvm.h>

#include "accel/dirty-log.h"
#include "util/bitmap.h"
#include "util/error.h"

#define DIRTY_LOG_MANUAL \
	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET)

/* Nanoseconds: the costs are reported in ns, so measure in ns. */
static uint64_t kvm_dirty_log_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Per-slot helper: set or clear KVM_MEM_LOG_DIRTY_PAGES.  Main thread. */
static bool kvm_dirty_log_flags(KvmState *s, const DirtyLogSlotInfo *si,
				uint32_t flags, GError **errp)
{
	struct kvm_userspace_memory_region r = {
		.slot = si->slot,
		.flags = flags,
		.guest_phys_addr = si->gpa,
		.memory_size = si->npages << PAGE_SHIFT,
		.userspace_addr = (uintptr_t)si->hva,
	};

	if (kvm_vm_ioctl(s, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		error_setg_errno(errp, errno,
				 "KVM_SET_USER_MEMORY_REGION slot %u flags 0x%x",
				 r.slot, flags);
		return false;
	}
	return true;
}

/* Manual protection with INITIALLY_SET; enabling it twice is harmless. */
static bool kvm_dirty_log_manual(KvmState *s, GError **errp)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { DIRTY_LOG_MANUAL },
	};
	int have = kvm_check_extension(s, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	if ((have & DIRTY_LOG_MANUAL) != DIRTY_LOG_MANUAL) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_KVM_MISSING_CAP,
			    "KVM lacks the capability "
			    "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 "
			    "(with INITIALLY_SET), which the dirty-log "
			    "backend needs");
		return false;
	}
	if (kvm_vm_ioctl(s, KVM_ENABLE_CAP, &cap) < 0) {
		error_setg_errno(errp, errno,
				 "KVM_ENABLE_CAP "
				 "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
		return false;
	}
	return true;
}

/* DirtyLogOps.stop: every slot back to flags 0.  Main thread. */
static void kvm_dirty_log_stop(void *opaque, DirtyLog *dl)
{
	for (unsigned i = 0; i < dirty_log_nr_slots(dl); i++) {
		g_autoptr(GError) err = NULL;

		if (!kvm_dirty_log_flags(opaque, dirty_log_slot_info(dl, i), 0,
					 &err))
			fprintf(stderr, "dirty-log: %s\n", err->message);
	}
}

/* DirtyLogOps.start: manual protection, then logging on every slot. */
static bool kvm_dirty_log_start(void *opaque, DirtyLog *dl, GError **errp)
{
	KvmState *s = opaque;

	if (!kvm_dirty_log_manual(s, errp))
		return false;
	for (unsigned i = 0; i < dirty_log_nr_slots(dl); i++) {
		if (!kvm_dirty_log_flags(s, dirty_log_slot_info(dl, i),
					 KVM_MEM_LOG_DIRTY_PAGES, errp)) {
			kvm_dirty_log_stop(s, dl);
			return false;
		}
	}
	return true;
}

/* One KVM_CLEAR_DIRTY_LOG of words [w, w + n) of @bits.  Slot lock held. */
static bool kvm_dirty_log_clear(KvmState *s, const DirtyLogSlotInfo *si,
				unsigned long *bits, uint64_t w, uint64_t n,
				DirtyLogStats *st, GError **errp)
{
	uint64_t first = w * BITS_PER_LONG;
	struct kvm_clear_dirty_log c = {
		.slot = si->slot,
		.first_page = first,
		.num_pages = MIN(n * BITS_PER_LONG, si->npages - first),
		.dirty_bitmap = &bits[w],
	};
	uint64_t t0 = kvm_dirty_log_now_ns(), dt;

	if (kvm_vm_ioctl(s, KVM_CLEAR_DIRTY_LOG, &c) < 0) {
		error_setg_errno(errp, errno,
				 "KVM_CLEAR_DIRTY_LOG slot %u pages %" PRIu64
				 "+%u",
				 c.slot, first, c.num_pages);
		return false;
	}
	dt = kvm_dirty_log_now_ns() - t0;
	st->kernel_ns += dt;
	st->max_clear_ns = MAX(st->max_clear_ns, dt);
	st->clear_calls++;
	return true;
}

/*
 * Re-protect the pages set in @bits: runs of non-zero words, at most
 * DIRTY_LOG_CLEAR_CHUNK pages per call.  Slot lock held.
 */
static bool kvm_dirty_log_clear_set(KvmState *s, const DirtyLogSlotInfo *si,
				    unsigned long *bits, DirtyLogStats *st,
				    GError **errp)
{
	const uint64_t max = DIRTY_LOG_CLEAR_CHUNK / BITS_PER_LONG;
	uint64_t nwords = BITS_TO_LONGS(si->npages), w = 0, n;

	while (w < nwords) {
		if (!bits[w]) {
			w++;
			continue;
		}
		for (n = 1; n < max && w + n < nwords; n++) {
			if (!bits[w + n])
				break;
		}
		if (!kvm_dirty_log_clear(s, si, bits, w, n, st, errp))
			return false;
		w += n;
	}
	return true;
}

/* DirtyLogOps.harvest: GET, then CLEAR what it reported.  Lock held. */
static bool kvm_dirty_log_harvest(void *opaque, const DirtyLogSlotInfo *si,
				  unsigned long *bits, DirtyLogStats *st,
				  GError **errp)
{
	KvmState *s = opaque;
	struct kvm_dirty_log log = {
		.slot = si->slot,
		.dirty_bitmap = bits,
	};
	uint64_t t0 = kvm_dirty_log_now_ns();

	if (kvm_vm_ioctl(s, KVM_GET_DIRTY_LOG, &log) < 0) {
		error_setg_errno(errp, errno, "KVM_GET_DIRTY_LOG slot %u",
				 log.slot);
		return false;
	}
	st->kernel_ns += kvm_dirty_log_now_ns() - t0;
	st->get_calls++;
	return kvm_dirty_log_clear_set(s, si, bits, st, errp);
}

static const DirtyLogOps kvm_dirty_log_ops = {
	.start = kvm_dirty_log_start,
	.stop = kvm_dirty_log_stop,
	.harvest = kvm_dirty_log_harvest,
};

struct kvm_dirty_log_ctx {
	DirtyLog *dl;
	RamBank *bank;
	uint32_t next;
};

/* kvm_slot_split() callback: the same split kvm_ram_register() made. */
static bool kvm_dirty_log_add(void *opaque, uint64_t off, uint64_t len,
			      GError **errp)
{
	struct kvm_dirty_log_ctx *ctx = opaque;
	DirtyLogSlotInfo si = {
		.slot = ctx->bank->slot + ctx->next++,
		.gpa = ctx->bank->gpa + off,
		.npages = len >> PAGE_SHIFT,
		.bank = ctx->bank,
		.hva = (char *)ctx->bank->host + off,
	};

	(void)errp;
	dirty_log_add_slot(ctx->dl, &si);
	return true;
}

bool kvm_dirty_log_connect(KvmState *s, DirtyLog *dl, RamList *ram,
			   GError **errp)
{
	RamBank *b;

	ram_for_each_bank(ram, b) {
		struct kvm_dirty_log_ctx ctx = { dl, b, 0 };

		if (b->type != RAM_BANK_RAM || !b->nr_slots)
			continue;
		if (!kvm_slot_split(b->size, s->slot_max_bytes, b->page_size,
				    kvm_dirty_log_add, &ctx, errp))
			return false;
	}
	dirty_log_connect(dl, &kvm_dirty_log_ops, s);
	return true;
}
