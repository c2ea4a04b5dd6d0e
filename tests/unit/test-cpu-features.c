/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hw/x86/cpu-features: names, lookups and hiding bits in CPUID entries. */
#include <string.h>
#include <glib.h>

#include "hw/x86/cpu-features.h"

static void test_names(void)
{
	g_autofree char *names = x86_feature_names();

	g_assert_cmpstr(names, ==, "rdtscp, invtsc");
	g_assert_cmpint(x86_feature_find("rdtscp"), ==, X86_FEATURE_RDTSCP);
	g_assert_cmpint(x86_feature_find("invtsc"), ==, X86_FEATURE_INVTSC);
	g_assert_cmpint(x86_feature_find("tsc"), ==, -1);
	g_assert_cmpint(x86_feature_find("RDTSCP"), ==, -1);
	g_assert_cmpint(x86_feature_find(""), ==, -1);
	/* the bits of the SDM / APM, written out independently here */
	g_assert_cmphex(x86_feature_info(X86_FEATURE_RDTSCP)->function, ==,
			0x80000001);
	g_assert_cmpuint(x86_feature_info(X86_FEATURE_RDTSCP)->bit, ==, 27);
	g_assert_cmphex(x86_feature_info(X86_FEATURE_INVTSC)->function, ==,
			0x80000007);
	g_assert_cmpuint(x86_feature_info(X86_FEATURE_INVTSC)->bit, ==, 8);
}

/* Entries as KVM_GET_SUPPORTED_CPUID gives them, all bits set. */
static struct kvm_cpuid2 *cpuid_all_ones(void)
{
	static const struct {
		uint32_t function, index, flags;
	} leaves[] = {
		{ 0x1, 0, 0 },
		{ 0x7, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
		{ 0x7, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
		{ 0x80000001, 0, 0 },
		{ 0x80000007, 0, 0 },
	};
	struct kvm_cpuid2 *c =
		g_malloc0(sizeof(*c) + G_N_ELEMENTS(leaves) *
					       sizeof(struct kvm_cpuid_entry2));

	c->nent = G_N_ELEMENTS(leaves);
	for (unsigned i = 0; i < c->nent; i++) {
		c->entries[i].function = leaves[i].function;
		c->entries[i].index = leaves[i].index;
		c->entries[i].flags = leaves[i].flags;
		c->entries[i].eax = c->entries[i].ebx = ~0u;
		c->entries[i].ecx = c->entries[i].edx = ~0u;
	}
	return c;
}

static void test_hide(void)
{
	g_autofree struct kvm_cpuid2 *none = cpuid_all_ones();
	g_autofree struct kvm_cpuid2 *c = cpuid_all_ones();
	g_autofree struct kvm_cpuid2 *all = cpuid_all_ones();

	x86_cpuid_hide(none, 0);
	for (unsigned i = 0; i < none->nent; i++)
		g_assert_cmphex(none->entries[i].edx, ==, ~0u);

	x86_cpuid_hide(c, 1u << X86_FEATURE_RDTSCP);
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		g_assert_cmphex(e->eax & e->ebx & e->ecx, ==, ~0u);
		g_assert_cmphex(e->edx, ==,
				e->function == 0x80000001 ? ~(1u << 27) : ~0u);
	}

	x86_cpuid_hide(all, (1u << X86_FEATURE__COUNT) - 1);
	g_assert_cmphex(all->entries[0].edx, ==, ~0u);
	g_assert_cmphex(all->entries[1].edx, ==, ~0u); /* leaf 7 untouched */
	g_assert_cmphex(all->entries[2].edx, ==, ~0u);
	g_assert_cmphex(all->entries[3].edx, ==, ~(1u << 27));
	g_assert_cmphex(all->entries[4].edx, ==, ~(1u << 8));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cpu-features/names", test_names);
	g_test_add_func("/cpu-features/hide", test_hide);
	return g_test_run();
}
