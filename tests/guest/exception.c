/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ring-3 read of an unmapped address: the crt reports #PF with
 * UCALL_EXCEPTION (vector 14, error code 4 = user read of a non-present
 * page, RIP of the load, CR2 = the address) and stops that CPU.
 * -append:
 *   addr=GVA   default 0x7fffdead0000: canonical, in the last PML4 slot of
 *              the lower half, far beyond the identity map.  A
 *              non-canonical address such as 0xdead00000000 (bit 47 set,
 *              bits 63:48 clear) gives #GP, error code 0, instead.
 *   cpu=N      the CPU that faults (default 0); CPU 0 then waits up to
 *              timeout=MS (default 10000) for kvmage to stop the VM.
 */
#include "guest/args.h"
#include "guest/crt.h"
#include "guest/io.h"
#include "guest/tsc.h"
#include "guest/ucall.h"

static void exception_fault(void)
{
	uint64_t addr = arg_get_u64("addr", 0x7fffdead0000ULL);
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;
	uint64_t v;

	GUEST_PRINTF("exception: cpu %u reading %#lx\n", guest_cpu(), addr);
	v = *p;
	GUEST_FAIL("read %#lx from unmapped %#lx", v, addr);
}

void guest_secondary(int cpu)
{
	if ((uint64_t)cpu == arg_get_u64("cpu", 0))
		exception_fault();
}

int guest_main(void)
{
	uint64_t cpu = arg_get_u64("cpu", 0);
	uint64_t timeout = tsc_ms_to_cycles(arg_get_u64("timeout", 10000));
	uint64_t start = rdtsc();

	GUEST_ASSERT_MSG(cpu < guest_nr_cpus(), "cpu=%lu but only %u cpus", cpu,
			 guest_nr_cpus());
	if (cpu == 0)
		exception_fault();
	while (rdtsc() - start < timeout)
		cpu_relax();
	GUEST_FAIL("cpu %lu took no exception in time", cpu);
}
