/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CPUID features `-cpu host,-FEATURE` can hide from the guest, named
 * as in QEMU.  The guest gets what KVM_GET_SUPPORTED_CPUID reports, less
 * these.  Pure data and lookups: safe from any thread.
 */
#ifndef HW_X86_CPU_FEATURES_H
#define HW_X86_CPU_FEATURES_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

typedef enum X86Feature {
	X86_FEATURE_RDTSCP, /* CPUID 0x80000001 EDX bit 27: rdtscp */
	X86_FEATURE_INVTSC, /* CPUID 0x80000007 EDX bit 8: invariant TSC */
	X86_FEATURE__COUNT,
} X86Feature;

typedef enum X86CpuidReg {
	X86_CPUID_EAX,
	X86_CPUID_EBX,
	X86_CPUID_ECX,
	X86_CPUID_EDX,
} X86CpuidReg;

typedef struct X86FeatureInfo {
	const char *name; /* QEMU's name: "rdtscp" */
	uint32_t function;
	uint32_t index;
	X86CpuidReg reg;
	unsigned bit;
} X86FeatureInfo;

/* The feature @f; @f must be below X86_FEATURE__COUNT. */
const X86FeatureInfo *x86_feature_info(X86Feature f);
/* The feature called @name, or -1 when there is none. */
int x86_feature_find(const char *name);
/* Every feature name, comma separated ("rdtscp, invtsc"); g_free it. */
char *x86_feature_names(void);
/*
 * Clear from the CPUID entries @c every feature whose bit (1 << X86Feature)
 * is set in @hide.  Entries that do not exist are left alone: the feature
 * is absent then anyway.
 */
void x86_cpuid_hide(struct kvm_cpuid2 *c, uint32_t hide);

#endif
