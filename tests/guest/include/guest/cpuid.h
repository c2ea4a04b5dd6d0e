/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPU features of the guest, from CPUID as the VMM set it.  Check them
 * before any optional instruction: a CPU model without the feature (QEMU's
 * qemu64 has no RDTSCP, kvmage -cpu host,-rdtscp) raises #UD otherwise.
 *
 * CPUID is read in ring 0, by crt0.S on every CPU before the drop to
 * ring 3: on the PVM host a ring-3 `cpuid` runs natively and returns the
 * host's CPUID, not the guest's (measured: RDTSCP set in ring 3, clear
 * in ring 0 where KVM answers).  Ring-3 code must not execute `cpuid`;
 * it calls cpu_has().
 */
#ifndef GUEST_CPUID_H
#define GUEST_CPUID_H

#include <stdbool.h>

enum cpu_feature {
	CPU_FEATURE_TSC,    /* CPUID 0x1 EDX bit 4: rdtsc */
	CPU_FEATURE_RDTSCP, /* CPUID 0x80000001 EDX bit 27: rdtscp */
	CPU_FEATURE_INVTSC, /* CPUID 0x80000007 EDX bit 8: invariant TSC */
	CPU_NR_FEATURES,
};

/* Ring 0 only (crt0.S): read the CPUID leaves of every feature. */
void guest_cpuid_probe(void);
/* Does the guest's CPUID announce @f?  Any CPU, ring 3. */
bool cpu_has(enum cpu_feature f);
/* QEMU's name of @f: "tsc", "rdtscp", "invtsc". */
const char *cpu_feature_name(enum cpu_feature f);
/*
 * True if the CPU has @f.  Else prints, with GUEST_PRINTF, the line
 *   "skip: WHAT: the CPU lacks NAME (CPUID LEAF REG bit N is clear)\n"
 * naming the check @what that the caller then skips, and returns false.
 */
bool cpu_has_or_skip(enum cpu_feature f, const char *what);

#endif
