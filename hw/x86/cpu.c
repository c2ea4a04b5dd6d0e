/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-vCPU x86 state at reset: CPUID from KVM_GET_SUPPORTED_CPUID less the
 * features -cpu hides, with this vCPU's APIC ID, long-mode segment and control registers, entry registers.
 * Main thread only, before the vCPU thread starts.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "accel/kvm.h"
#include "hw/x86/boot.h"
#include "hw/x86/cpu-features.h"
#include "kvmage/guest-abi.h"
#include "util/error.h"

#define CR0_LONG_MODE  0x80050033ULL /* PG WP NE ET MP PE */
#define CR4_LONG_MODE  0x620ULL	     /* OSXMMEXCPT OSFXSR PAE */
#define EFER_LONG_MODE 0x500ULL	     /* LMA LME */

static struct kvm_cpuid2 *cpu_cpuid_supported(KvmState *s, GError **errp)
{
	for (unsigned nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = g_malloc0(
			sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));

		c->nent = nent;
		if (kvm_ioctl(s, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		g_free(c);
		if (errno != E2BIG) {
			error_setg_errno(errp, errno,
					 "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
	}
	error_setg(errp, "KVM_GET_SUPPORTED_CPUID: too many entries");
	return NULL;
}

static bool cpu_setup_cpuid(KvmState *kvm, Vcpu *cpu, uint32_t cpu_hide,
			    GError **errp)
{
	g_autofree struct kvm_cpuid2 *c = cpu_cpuid_supported(kvm, errp);
	unsigned apic_id = vcpu_index(cpu);

	if (!c)
		return false;
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffff) | (apic_id << 24);
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = apic_id;
		}
	}
	x86_cpuid_hide(c, cpu_hide);
	if (vcpu_ioctl(cpu, KVM_SET_CPUID2, c) < 0) {
		error_setg_errno(errp, errno, "KVM_SET_CPUID2");
		return false;
	}
	return true;
}

static void cpu_seg_set(struct kvm_segment *s, uint16_t sel, uint8_t type,
			bool code64)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

static bool cpu_setup_sregs(Vcpu *cpu, GError **errp)
{
	struct kvm_sregs sr;
	unsigned i = vcpu_index(cpu);

	if (vcpu_ioctl(cpu, KVM_GET_SREGS, &sr) < 0) {
		error_setg_errno(errp, errno, "KVM_GET_SREGS");
		return false;
	}
	cpu_seg_set(&sr.cs, GDT_KERNEL_CS, 0xb, true);
	cpu_seg_set(&sr.ds, GDT_KERNEL_DS, 0x3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = GDT_TSS(i);
	sr.tr.base = BOOT_TSS_GPA + i * BOOT_TSS_SIZE;
	sr.tr.limit = BOOT_TSS_LIMIT;
	sr.tr.type = 0xb; /* busy 64-bit TSS */
	sr.tr.present = 1;
	memset(&sr.ldt, 0, sizeof(sr.ldt));
	sr.ldt.type = 2;
	sr.ldt.unusable = 1;
	sr.gdt.base = BOOT_GDT_GPA;
	sr.gdt.limit = BOOT_GDT_LIMIT;
	sr.idt.base = 0;
	sr.idt.limit = 0;
	sr.cr0 = CR0_LONG_MODE;
	sr.cr3 = BOOT_PGTABLE_GPA;
	sr.cr4 = CR4_LONG_MODE;
	sr.efer = EFER_LONG_MODE;
	if (vcpu_ioctl(cpu, KVM_SET_SREGS, &sr) < 0) {
		error_setg_errno(errp, errno, "KVM_SET_SREGS");
		return false;
	}
	return true;
}

static void cpu_record_tsc_khz(KvmState *kvm, RamList *ram, Vcpu *cpu)
{
	struct boot_info *bi;
	int khz;

	/* Optional: without it the guest sees tsc_khz = 0 (guest ABI). */
	if (vcpu_index(cpu) != 0 ||
	    kvm_check_extension(kvm, KVM_CAP_GET_TSC_KHZ) <= 0)
		return;
	khz = vcpu_ioctl(cpu, KVM_GET_TSC_KHZ, NULL);
	bi = ram_gpa_to_hva(ram, BOOT_INFO_GPA, sizeof(*bi));
	if (bi && khz > 0)
		bi->tsc_khz = khz;
}

bool x86_boot_setup_vcpu(KvmState *kvm, RamList *ram, Vcpu *cpu,
			 uint32_t cpu_hide, uint64_t entry, GError **errp)
{
	unsigned i = vcpu_index(cpu);
	struct kvm_regs regs = {
		.rip = entry,
		.rflags = 0x2,
		.rdi = BOOT_INFO_GPA,
		.rsi = i,
		.rsp = BOOT_STACK_GPA + (i + 1) * BOOT_STACK_SIZE,
	};

	if (!cpu_setup_cpuid(kvm, cpu, cpu_hide, errp) ||
	    !cpu_setup_sregs(cpu, errp))
		return false;
	if (vcpu_ioctl(cpu, KVM_SET_REGS, &regs) < 0) {
		error_setg_errno(errp, errno, "KVM_SET_REGS");
		return false;
	}
	cpu_record_tsc_khz(kvm, ram, cpu);
	return true;
}
