/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU state save and restore (accel/kvm/kvm-state.c and kvm-state-codec.c).
 *
 * vcpu_state_save() reads every register class KVM exposes for a paused
 * vCPU into a VcpuState; vcpu_state_load() writes one back.  The codec
 * turns a VcpuState into a versioned little-endian blob and back
 * (docs/interop/vcpu-state.rst) so a migration stream can carry it.
 *
 * Parts (VCPU_STATE_PART_*): REGS, SREGS2 (or SREGS when KVM lacks
 * KVM_CAP_SREGS2), XSAVE (or FPU when KVM lacks KVM_CAP_XSAVE), XCRS (with
 * XSAVE), EVENTS, DEBUGREGS, MSRS.  No LAPIC part: kvmage creates no
 * in-kernel irqchip, so KVM has no local APIC state to give.
 */
#ifndef ACCEL_KVM_STATE_H
#define ACCEL_KVM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include <linux/kvm.h>

#include "accel/kvm.h"

enum {
	VCPU_STATE_PART_REGS = 1,
	VCPU_STATE_PART_SREGS = 2,
	VCPU_STATE_PART_SREGS2 = 3,
	VCPU_STATE_PART_FPU = 4,
	VCPU_STATE_PART_XSAVE = 5,
	VCPU_STATE_PART_XCRS = 6,
	VCPU_STATE_PART_EVENTS = 7,
	VCPU_STATE_PART_DEBUGREGS = 8,
	VCPU_STATE_PART_MSRS = 9,
	VCPU_STATE_PART_MAX = 9,
};

#define VCPU_STATE_HAS(st, part) (((st)->parts >> (part)) & 1)

/* Limits the decoder enforces (and save never exceeds). */
#define VCPU_STATE_MAX_MSRS	  1024
#define VCPU_STATE_MAX_XSAVE_SIZE (1u << 20)

typedef struct VcpuState {
	uint32_t parts; /* bit VCPU_STATE_PART_x: that part is valid */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_sregs2 sregs2;
	struct kvm_fpu fpu;
	struct kvm_xsave *xsave; /* g_malloc'ed, xsave_size bytes */
	uint32_t xsave_size;	 /* >= sizeof(struct kvm_xsave) */
	struct kvm_xcrs xcrs;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	uint32_t nr_msrs;
	struct kvm_msr_entry *msrs; /* g_malloc'ed, nr_msrs entries */
} VcpuState;

/* A zeroed VcpuState is empty; clear frees its parts and empties it. */
void vcpu_state_clear(VcpuState *st);

/*
 * Read the state of @cpu into @st (cleared first).  The vCPU must not be
 * in KVM_RUN: paused with vcpu_pause_all(), not started, or stopped.
 * Main thread.  A capability that has no fallback (KVM_CAP_VCPU_EVENTS,
 * KVM_CAP_DEBUGREGS, KVM_CAP_XCRS with XSAVE) is a
 * KVMAGE_ERROR_KVM_MISSING_CAP error naming it.  On failure @st is empty.
 */
bool vcpu_state_save(Vcpu *cpu, VcpuState *st, GError **errp);

/*
 * Write @st into @cpu, same conditions as save.  Every part is checked
 * against what KVM offers before the first write, so a state this host
 * cannot take fails without touching the vCPU; a write that KVM refuses
 * after that leaves the vCPU partly loaded (the error says which part).
 * The guest TSC is restored from the saved MSR_IA32_TSC: the guest sees
 * its TSC continue from the value at save time.
 */
bool vcpu_state_load(Vcpu *cpu, const VcpuState *st, GError **errp);

/* Codec (kvm-state-codec.c): pure, any thread. */
size_t vcpu_state_size(const VcpuState *st);
/* Encode @st into @buf of @size >= vcpu_state_size(st) bytes; returns it. */
size_t vcpu_state_encode(const VcpuState *st, void *buf, size_t size);
/*
 * Decode the blob @buf of @len bytes into @st (cleared first).  A short,
 * foreign, other-version or inconsistent blob fails with a message saying
 * which; @st is then empty.
 */
bool vcpu_state_decode(VcpuState *st, const void *buf, size_t len,
		       GError **errp);

#endif
