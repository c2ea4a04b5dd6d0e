/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every CPU checks in: a PRINTF ucall on its own struct ucall, then an
 * atomic increment of a shared counter and a mark in its slot.  CPU 0
 * waits (timeout=MS, default 10000, by rdtsc) for boot_info->nr_cpus
 * check-ins, checks every slot was marked exactly once, reports
 * "cpus=N" and exits 0.
 */
#include "guest/args.h"
#include "guest/crt.h"
#include "guest/io.h"
#include "guest/tsc.h"
#include "guest/ucall.h"

/*
 * Shared between CPUs, atomics only: each CPU bumps its own mark and then
 * checked_in (release); CPU 0 reads checked_in (acquire), then the marks.
 */
static unsigned int checked_in;
static unsigned int marks[BOOT_MAX_VCPUS];

static void smp_check_in(int cpu)
{
	GUEST_ASSERT_EQ(guest_cpu(), cpu);
	GUEST_PRINTF("smp: cpu %d up\n", cpu);
	__atomic_fetch_add(&marks[cpu], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&checked_in, 1, __ATOMIC_RELEASE);
}

void guest_secondary(int cpu)
{
	smp_check_in(cpu);
}

int guest_main(void)
{
	unsigned int nr = guest_nr_cpus();
	uint64_t timeout = tsc_ms_to_cycles(arg_get_u64("timeout", 10000));
	uint64_t start = rdtsc();
	unsigned int n;

	GUEST_ASSERT_MSG(nr >= 1 && nr <= BOOT_MAX_VCPUS, "nr_cpus %u", nr);
	smp_check_in(0);
	while ((n = __atomic_load_n(&checked_in, __ATOMIC_ACQUIRE)) < nr) {
		GUEST_ASSERT_MSG(rdtsc() - start < timeout,
				 "only %u of %u cpus checked in", n, nr);
		cpu_relax();
	}
	GUEST_ASSERT_EQ(n, nr);
	for (unsigned int i = 0; i < BOOT_MAX_VCPUS; i++) {
		GUEST_ASSERT_MSG(marks[i] == (i < nr),
				 "cpu %u checked in %u times", i, marks[i]);
	}
	GUEST_REPORT("cpus=%u", nr);
	return 0;
}
