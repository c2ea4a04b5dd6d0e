/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ucall round trips.  -append: syncs=N (default 4).
 * kvmage answers every SYNC with ret = number of SYNCs seen (1-based).
 */
#include "guest/args.h"
#include "guest/crt.h"
#include "guest/ucall.h"

int guest_main(void)
{
	uint64_t syncs = arg_get_u64("syncs", 4);
	uint64_t i, ret;

	for (i = 1; i <= syncs; i++) {
		ret = GUEST_SYNC_ARGS(i, i * 10, 0xdeadbeef, 3, 4, 5);
		GUEST_ASSERT_EQ(ret, i);
	}
	GUEST_PRINTF("ucall: %lu syncs ok on cpu %u\n", syncs, guest_cpu());
	GUEST_DONE();
}
