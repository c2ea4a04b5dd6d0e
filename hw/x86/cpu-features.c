/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPUID features that -cpu can hide.  Only those a guest program checks
 * before use are listed; see tests/guest/README.md for the audit.
 */
#include <string.h>
#include <glib.h>

#include "hw/x86/cpu-features.h"

static const X86FeatureInfo x86_features[X86_FEATURE__COUNT] = {
	[X86_FEATURE_RDTSCP] = { "rdtscp", 0x80000001, 0, X86_CPUID_EDX, 27 },
	[X86_FEATURE_INVTSC] = { "invtsc", 0x80000007, 0, X86_CPUID_EDX, 8 },
};

const X86FeatureInfo *x86_feature_info(X86Feature f)
{
	g_assert(f < X86_FEATURE__COUNT);
	return &x86_features[f];
}

int x86_feature_find(const char *name)
{
	for (int i = 0; i < X86_FEATURE__COUNT; i++) {
		if (!strcmp(x86_features[i].name, name))
			return i;
	}
	return -1;
}

char *x86_feature_names(void)
{
	GString *s = g_string_new(NULL);

	for (int i = 0; i < X86_FEATURE__COUNT; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "",
				       x86_features[i].name);
	return g_string_free(s, FALSE);
}

static uint32_t *x86_cpuid_reg(struct kvm_cpuid_entry2 *e, X86CpuidReg reg)
{
	switch (reg) {
	case X86_CPUID_EAX:
		return &e->eax;
	case X86_CPUID_EBX:
		return &e->ebx;
	case X86_CPUID_ECX:
		return &e->ecx;
	default:
		return &e->edx;
	}
}

void x86_cpuid_hide(struct kvm_cpuid2 *c, uint32_t hide)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		for (int f = 0; f < X86_FEATURE__COUNT; f++) {
			const X86FeatureInfo *fi = &x86_features[f];

			if (!(hide & (1u << f)) || e->function != fi->function)
				continue;
			/* leaves without sub-leaves ignore the index */
			if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
			    e->index != fi->index)
				continue;
			*x86_cpuid_reg(e, fi->reg) &= ~(1u << fi->bit);
		}
	}
}
