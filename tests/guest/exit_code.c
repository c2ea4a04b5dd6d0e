/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -append status=N (default 7): writes N to the exit register (the MMIO
 * one, EXIT_MMIO_GPA: this runs in ring 3); kvmage exits with N.  kvmage
 * may let the vCPU run on briefly while it stops, so the program spins and
 * only fails if it is still running after timeout=MS (default 10000).
 */
#include "guest/args.h"
#include "guest/crt.h"
#include "guest/io.h"
#include "guest/tsc.h"
#include "guest/ucall.h"

int guest_main(void)
{
	uint64_t status = arg_get_u64("status", 7);
	uint64_t timeout = tsc_ms_to_cycles(arg_get_u64("timeout", 10000));
	uint64_t start;

	GUEST_ASSERT_MSG(status <= 255, "status %lu is not a byte", status);
	mmio_write8(EXIT_MMIO_GPA, status);
	start = rdtsc();
	while (rdtsc() - start < timeout)
		cpu_relax();
	GUEST_FAIL("still running after writing %lu to the exit register",
		   status);
}
