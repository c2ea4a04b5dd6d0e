/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPUID, read in ring 0 (see guest/cpuid.h).  Every CPU stores the same
 * values before its own first use, like the IDT, so the stores of several
 * CPUs cannot conflict.
 */
#include <stdint.h>

#include "guest/cpuid.h"
#include "guest/io.h"
#include "guest/ucall.h"

enum {
	REG_EAX,
	REG_EBX,
	REG_ECX,
	REG_EDX
};

static const struct {
	const char *name;
	uint32_t leaf;
	unsigned int reg;
	unsigned int bit;
} features[CPU_NR_FEATURES] = {
	[CPU_FEATURE_TSC] = { "tsc", 0x1, REG_EDX, 4 },
	[CPU_FEATURE_RDTSCP] = { "rdtscp", 0x80000001, REG_EDX, 27 },
	[CPU_FEATURE_INVTSC] = { "invtsc", 0x80000007, REG_EDX, 8 },
};

static const char *const reg_names[] = { "EAX", "EBX", "ECX", "EDX" };

/* The feature's CPUID register; 0 if its leaf is beyond the maximum. */
static uint32_t feature_regs[CPU_NR_FEATURES];
static bool probed;

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[REG_EAX]), "=b"(r[REG_EBX]), "=c"(r[REG_ECX]),
		       "=d"(r[REG_EDX])
		     : "a"(leaf), "c"(0));
}

void guest_cpuid_probe(void)
{
	uint32_t r[4], max_basic, max_ext;

	cpuid(0, r);
	max_basic = r[REG_EAX];
	cpuid(0x80000000, r);
	max_ext = r[REG_EAX];
	for (int f = 0; f < CPU_NR_FEATURES; f++) {
		uint32_t leaf = features[f].leaf;
		uint32_t max = leaf >= 0x80000000 ? max_ext : max_basic;

		r[features[f].reg] = 0;
		if (leaf <= max)
			cpuid(leaf, r);
		WRITE_ONCE(feature_regs[f], r[features[f].reg]);
	}
	WRITE_ONCE(probed, true);
}

bool cpu_has(enum cpu_feature f)
{
	GUEST_ASSERT_MSG(READ_ONCE(probed), "cpu_has() before the probe");
	GUEST_ASSERT(f < CPU_NR_FEATURES);
	return READ_ONCE(feature_regs[f]) >> features[f].bit & 1;
}

const char *cpu_feature_name(enum cpu_feature f)
{
	return f < CPU_NR_FEATURES ? features[f].name : "?";
}

bool cpu_has_or_skip(enum cpu_feature f, const char *what)
{
	if (cpu_has(f))
		return true;
	GUEST_PRINTF("skip: %s: the CPU lacks %s (CPUID %#x %s bit %u is "
		     "clear)\n",
		     what, features[f].name, features[f].leaf,
		     reg_names[features[f].reg], features[f].bit);
	return false;
}
