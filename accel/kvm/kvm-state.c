/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Save and restore the state of a paused vCPU (include/accel/kvm-state.h).
 *
 * MSRs: every MSR of KVM_GET_MSR_INDEX_LIST that KVM_GET_MSRS reads back
 * for this vCPU (KVM stops a KVM_GET_MSRS at the first MSR it refuses, e.g.
 * MSR_TSC_AUX when the guest CPUID lacks RDTSCP, or the TSC deadline MSR
 * without an in-kernel APIC; those are dropped).  That covers STAR, LSTAR,
 * CSTAR, SFMASK, KERNEL_GS_BASE, SYSENTER_CS/ESP/EIP, PAT, TSC and TSC_AUX
 * where the guest has it.  EFER, FS/GS base and the control registers
 * travel in SREGS/SREGS2.  KVM's paravirtual MSRs (0x11, 0x12 and
 * 0x4b564d00-0x4b564dff: kvmclock, async PF, steal time...) are left out:
 * kvmage guests use none of them, and KVM reads them back but refuses to
 * write some (measured: MSR_KVM_ASYNC_PF_INT, value 0, on this host).
 *
 * TSC: MSR_IA32_TSC is saved with the other MSRs and written back by
 * KVM_SET_MSRS, as QEMU does: a host-initiated write sets the vCPU's TSC
 * offset so the guest reads the saved value continuing from the load, and
 * never less than what it read before the save.  (KVM may treat a value
 * within a second of the VM's running TSC as a synchronisation and keep
 * the running offset: also never backwards.)
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "accel/kvm-state.h"
#include "util/error.h"

#define PART(st, p) ((st)->parts |= 1u << VCPU_STATE_PART_##p)

static bool kvm_state_need_cap(KvmState *s, long cap, const char *name,
			       GError **errp)
{
	if (kvm_check_extension(s, cap) > 0)
		return true;
	g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_KVM_MISSING_CAP,
		    "KVM lacks the capability %s, which vCPU state needs",
		    name);
	return false;
}
#define NEED_CAP(s, cap, errp) kvm_state_need_cap(s, cap, #cap, errp)

/* One ioctl; its name in the error. */
static bool vcpu_state_ioctl(Vcpu *cpu, unsigned long req, void *arg,
			     const char *name, GError **errp)
{
	if (vcpu_ioctl(cpu, req, arg) < 0) {
		error_setg_errno(errp, errno, "vCPU %u: %s", vcpu_index(cpu),
				 name);
		return false;
	}
	return true;
}
#define VIOCTL(cpu, req, arg, errp) vcpu_state_ioctl(cpu, req, arg, #req, errp)

static bool vcpu_check_parked(Vcpu *cpu, GError **errp)
{
	if (vcpu_is_parked(cpu))
		return true;
	error_setg(errp, "vCPU %u is running: pause it first", vcpu_index(cpu));
	return false;
}

/* Size of the XSAVE buffer KVM wants, 0 without XSAVE. */
static uint32_t kvm_xsave_size(KvmState *s)
{
	int size = kvm_check_extension(s, KVM_CAP_XSAVE2);

	if (size >= (int)sizeof(struct kvm_xsave))
		return size;
	if (kvm_check_extension(s, KVM_CAP_XSAVE) > 0)
		return sizeof(struct kvm_xsave);
	return 0;
}

static bool vcpu_save_fpu(Vcpu *cpu, VcpuState *st, GError **errp)
{
	KvmState *s = vcpu_kvm(cpu);
	uint32_t size = kvm_xsave_size(s);
	unsigned long req = KVM_GET_XSAVE;

	if (!size) {
		PART(st, FPU);
		return VIOCTL(cpu, KVM_GET_FPU, &st->fpu, errp);
	}
	if (size > sizeof(struct kvm_xsave))
		req = KVM_GET_XSAVE2;
	st->xsave = g_malloc0(size);
	st->xsave_size = size;
	if (!vcpu_state_ioctl(cpu, req, st->xsave,
			      req == KVM_GET_XSAVE ? "KVM_GET_XSAVE" :
						     "KVM_GET_XSAVE2",
			      errp))
		return false;
	PART(st, XSAVE);
	if (!NEED_CAP(s, KVM_CAP_XCRS, errp) ||
	    !VIOCTL(cpu, KVM_GET_XCRS, &st->xcrs, errp))
		return false;
	PART(st, XCRS);
	return true;
}

static struct kvm_msr_list *kvm_msr_index_list(KvmState *s, GError **errp)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;

	if (kvm_ioctl(s, KVM_GET_MSR_INDEX_LIST, &probe) < 0 &&
	    errno != E2BIG) {
		error_setg_errno(errp, errno, "KVM_GET_MSR_INDEX_LIST");
		return NULL;
	}
	list = g_malloc0(sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	list->nmsrs = probe.nmsrs;
	if (kvm_ioctl(s, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		error_setg_errno(errp, errno, "KVM_GET_MSR_INDEX_LIST");
		g_free(list);
		return NULL;
	}
	return list;
}

static bool kvm_msr_is_pv(uint32_t index)
{
	return index == 0x11 || index == 0x12 || (index >> 8) == 0x4b564d;
}

/*
 * KVM_GET_MSRS returns how many entries it read, stopping at the first it
 * refuses: keep those, drop the refused one and go on after it.
 */
static bool vcpu_save_msrs(Vcpu *cpu, VcpuState *st, GError **errp)
{
	g_autofree struct kvm_msr_list *list = NULL;
	g_autofree struct kvm_msrs *req = NULL;
	uint32_t n, next = 0;

	list = kvm_msr_index_list(vcpu_kvm(cpu), errp);
	if (!list)
		return false;
	n = 0;
	for (uint32_t i = 0; i < list->nmsrs && n < VCPU_STATE_MAX_MSRS; i++)
		if (!kvm_msr_is_pv(list->indices[i]))
			list->indices[n++] = list->indices[i];
	req = g_malloc0(sizeof(*req) + n * sizeof(struct kvm_msr_entry));
	st->msrs = g_new0(struct kvm_msr_entry, n + 1);
	while (next < n) {
		int ret;

		req->nmsrs = n - next;
		for (uint32_t i = 0; i < req->nmsrs; i++) {
			req->entries[i].index = list->indices[next + i];
			req->entries[i].data = 0;
		}
		ret = vcpu_ioctl(cpu, KVM_GET_MSRS, req);
		if (ret < 0) {
			error_setg_errno(errp, errno, "vCPU %u: KVM_GET_MSRS",
					 vcpu_index(cpu));
			return false;
		}
		memcpy(&st->msrs[st->nr_msrs], req->entries,
		       ret * sizeof(struct kvm_msr_entry));
		st->nr_msrs += ret;
		next += ret + 1; /* skip the refused one, if any */
	}
	PART(st, MSRS);
	return true;
}

static bool vcpu_save_sregs(Vcpu *cpu, VcpuState *st, GError **errp)
{
	if (kvm_check_extension(vcpu_kvm(cpu), KVM_CAP_SREGS2) > 0) {
		PART(st, SREGS2);
		return VIOCTL(cpu, KVM_GET_SREGS2, &st->sregs2, errp);
	}
	PART(st, SREGS);
	return VIOCTL(cpu, KVM_GET_SREGS, &st->sregs, errp);
}

bool vcpu_state_save(Vcpu *cpu, VcpuState *st, GError **errp)
{
	KvmState *s = vcpu_kvm(cpu);

	vcpu_state_clear(st);
	if (!vcpu_check_parked(cpu, errp) ||
	    !NEED_CAP(s, KVM_CAP_VCPU_EVENTS, errp) ||
	    !NEED_CAP(s, KVM_CAP_DEBUGREGS, errp))
		goto err;
	if (!VIOCTL(cpu, KVM_GET_REGS, &st->regs, errp))
		goto err;
	PART(st, REGS);
	if (!vcpu_save_sregs(cpu, st, errp) || !vcpu_save_fpu(cpu, st, errp) ||
	    !vcpu_save_msrs(cpu, st, errp))
		goto err;
	if (!VIOCTL(cpu, KVM_GET_VCPU_EVENTS, &st->events, errp))
		goto err;
	PART(st, EVENTS);
	if (!VIOCTL(cpu, KVM_GET_DEBUGREGS, &st->debugregs, errp))
		goto err;
	PART(st, DEBUGREGS);
	return true;

err:
	vcpu_state_clear(st);
	return false;
}

/* Can this host take every part of @st?  Touches nothing. */
static bool vcpu_state_check(KvmState *s, const VcpuState *st,
			     uint32_t *xsave_size, GError **errp)
{
	if (!VCPU_STATE_HAS(st, VCPU_STATE_PART_REGS) ||
	    VCPU_STATE_HAS(st, VCPU_STATE_PART_SREGS) ==
		    VCPU_STATE_HAS(st, VCPU_STATE_PART_SREGS2) ||
	    VCPU_STATE_HAS(st, VCPU_STATE_PART_FPU) ==
		    VCPU_STATE_HAS(st, VCPU_STATE_PART_XSAVE)) {
		error_setg(errp, "vCPU state incomplete (parts 0x%x)",
			   st->parts);
		return false;
	}
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_SREGS2) &&
	    !NEED_CAP(s, KVM_CAP_SREGS2, errp))
		return false;
	*xsave_size = kvm_xsave_size(s);
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_XSAVE) && !*xsave_size)
		return NEED_CAP(s, KVM_CAP_XSAVE, errp);
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_XCRS) &&
	    !NEED_CAP(s, KVM_CAP_XCRS, errp))
		return false;
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_EVENTS) &&
	    !NEED_CAP(s, KVM_CAP_VCPU_EVENTS, errp))
		return false;
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_DEBUGREGS) &&
	    !NEED_CAP(s, KVM_CAP_DEBUGREGS, errp))
		return false;
	return true;
}

/* KVM_SET_XSAVE reads as many bytes as KVM's own size: pad with zeroes. */
static bool vcpu_load_xsave(Vcpu *cpu, const VcpuState *st, uint32_t size,
			    GError **errp)
{
	g_autofree void *buf = g_malloc0(MAX(size, st->xsave_size));

	memcpy(buf, st->xsave, st->xsave_size);
	return VIOCTL(cpu, KVM_SET_XSAVE, buf, errp);
}

static bool vcpu_load_msrs(Vcpu *cpu, const VcpuState *st, GError **errp)
{
	g_autofree struct kvm_msrs *req = NULL;
	size_t len = st->nr_msrs * sizeof(struct kvm_msr_entry);
	int ret;

	req = g_malloc0(sizeof(*req) + len);
	req->nmsrs = st->nr_msrs;
	memcpy(req->entries, st->msrs, len);
	ret = vcpu_ioctl(cpu, KVM_SET_MSRS, req);
	if (ret < 0) {
		error_setg_errno(errp, errno, "vCPU %u: KVM_SET_MSRS",
				 vcpu_index(cpu));
		return false;
	}
	if ((uint32_t)ret < st->nr_msrs) {
		error_setg(errp,
			   "vCPU %u: KVM_SET_MSRS refused MSR 0x%x (value 0x%llx)",
			   vcpu_index(cpu), st->msrs[ret].index,
			   (unsigned long long)st->msrs[ret].data);
		return false;
	}
	return true;
}

/* QEMU's order: registers, FPU, XCRs, segments, MSRs, events, debug. */
bool vcpu_state_load(Vcpu *cpu, const VcpuState *st, GError **errp)
{
	uint32_t xsave_size;

	if (!vcpu_check_parked(cpu, errp) ||
	    !vcpu_state_check(vcpu_kvm(cpu), st, &xsave_size, errp))
		return false;
	if (!VIOCTL(cpu, KVM_SET_REGS, (void *)&st->regs, errp))
		return false;
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_XSAVE)) {
		if (!vcpu_load_xsave(cpu, st, xsave_size, errp))
			return false;
	} else if (!VIOCTL(cpu, KVM_SET_FPU, (void *)&st->fpu, errp)) {
		return false;
	}
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_XCRS) &&
	    !VIOCTL(cpu, KVM_SET_XCRS, (void *)&st->xcrs, errp))
		return false;
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_SREGS2)) {
		if (!VIOCTL(cpu, KVM_SET_SREGS2, (void *)&st->sregs2, errp))
			return false;
	} else if (!VIOCTL(cpu, KVM_SET_SREGS, (void *)&st->sregs, errp)) {
		return false;
	}
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_MSRS) &&
	    !vcpu_load_msrs(cpu, st, errp))
		return false;
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_EVENTS) &&
	    !VIOCTL(cpu, KVM_SET_VCPU_EVENTS, (void *)&st->events, errp))
		return false;
	if (VCPU_STATE_HAS(st, VCPU_STATE_PART_DEBUGREGS) &&
	    !VIOCTL(cpu, KVM_SET_DEBUGREGS, (void *)&st->debugregs, errp))
		return false;
	return true;
}
