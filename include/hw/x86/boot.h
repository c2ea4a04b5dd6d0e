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

#include "hw/machine.h"
#include "kvmage/guest-abi.h"

/* GDT: null, kernel CS/DS, user DS/CS, then a 16-byte TSS per vCPU. */
#define BOOT_GDT_NR_FIXED 5
#define BOOT_GDT_LIMIT	  ((BOOT_GDT_NR_FIXED + 2 * BOOT_MAX_VCPUS) * 8 - 1)
#define BOOT_TSS_LIMIT	  103 /* a 64-bit TSS without I/O bitmap */

/* GDT, TSSs, ring-0 stacks, identity page tables, boot info, -append. */
bool x86_boot_setup_memory(Machine *m, unsigned nr_cpus, GError **errp);
/* CPUID, segment and control registers, RIP = @entry for one vCPU. */
bool x86_boot_setup_vcpu(Machine *m, Vcpu *cpu, uint64_t entry, GError **errp);

/* Load a static ELF64 x86-64 executable into guest RAM; returns its entry. */
bool x86_load_elf(Machine *m, const char *path, uint64_t *entry, GError **errp);

#endif
