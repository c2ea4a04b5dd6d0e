/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 boot: the VMM puts the guest straight into 64-bit long mode, as the
 * contract in kvmage/guest-abi.h describes.  Main thread only, before the
 * vCPU threads start.
 */
#ifndef HW_X86_BOOT_H
#define HW_X86_BOOT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "accel/kvm.h"
#include "kvmage/guest-abi.h"
#include "memory/ram.h"

/* GDT: null, kernel CS/DS, user DS/CS, then a 16-byte TSS per vCPU. */
#define BOOT_GDT_NR_FIXED 5
#define BOOT_GDT_LIMIT	  ((BOOT_GDT_NR_FIXED + 2 * BOOT_MAX_VCPUS) * 8 - 1)
#define BOOT_TSS_LIMIT	  103 /* a 64-bit TSS without I/O bitmap */

/*
 * Write GDT, TSSs, ring-0 stacks, identity page tables, the boot info and
 * the -append string @append (NULL: empty) into the guest RAM @ram.
 */
bool x86_boot_setup_memory(RamList *ram, const char *append, unsigned nr_cpus,
			   GError **errp);
/*
 * CPUID (KVM's supported set less the features in @cpu_hide, a mask of
 * 1 << X86Feature), segment and control registers, RIP = @entry for one
 * vCPU of the VM @kvm; vCPU 0 also records the TSC frequency in @ram.
 */
bool x86_boot_setup_vcpu(KvmState *kvm, RamList *ram, Vcpu *cpu,
			 uint32_t cpu_hide, uint64_t entry, GError **errp);

/* Load a static ELF64 x86-64 executable into @ram; returns its entry. */
bool x86_load_elf(RamList *ram, const char *path, uint64_t *entry,
		  GError **errp);

#endif
