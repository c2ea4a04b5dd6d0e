/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ring-3 read of an unmapped address: the crt reports #PF with
 * UCALL_EXCEPTION (vector 14, error code 4 = user read of a non-present
 * page, RIP of the load, CR2 = the address) and stops.
 * -append addr=GVA (default 0x7fffdead0000: canonical, in the last
 * PML4 slot of the lower half, far beyond the identity map).  A
 * non-canonical address such as 0xdead00000000 (bit 47 set, bits 63:48
 * clear) gives #GP with error code 0 and CR2 unchanged instead.
 */
#include "guest/args.h"
#include "guest/crt.h"
#include "guest/ucall.h"

int guest_main(void)
{
	uint64_t addr = arg_get_u64("addr", 0x7fffdead0000ULL);
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;
	uint64_t v;

	GUEST_PRINTF("exception: reading %#lx\n", addr);
	v = *p;
	GUEST_FAIL("read %#lx from unmapped %#lx", v, addr);
}
