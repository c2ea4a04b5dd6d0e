/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cost of touching pages from ring 3.  -append: pages=N (default 16384,
 * 64 MiB), rounds=N (default 4, at least 2).  Round 1 writes one word per
 * page and includes the first-touch faults; rounds 2.. write the same
 * pages again.  Reports
 *   touches=T cycles_per_touch=C ns_per_touch=N
 *   first_cycles_per_touch=C1 first_ns_per_touch=N1 rdtsc_cycles=R
 *   tsc_khz=K invtsc=0|1 verified_pages=P
 * for rounds 2.. (T touches) and round 1, and the cost of one rdtsc (it
 * may trap on some hosts); ns values are "na" when the TSC frequency is
 * unknown.  invtsc says whether CPUID announces an invariant TSC: without
 * one the ns figures assume the TSC ran at tsc_khz throughout.  Before
 * reporting, every page is read back (a lost write fails the program).
 * The figures are for bench/touch-speed, which compares them with the
 * same loop in a host process; tests check only that they are sane.
 */
#include "guest/args.h"
#include "guest/cpuid.h"
#include "guest/crt.h"
#include "guest/io.h"
#include "guest/layout.h"
#include "guest/tsc.h"
#include "guest/ucall.h"

static uint64_t touch_round(volatile uint64_t *area, uint64_t pages,
			    uint64_t round)
{
	const uint64_t stride = PAGE_SIZE / sizeof(*area);
	uint64_t start = rdtsc_ordered();

	for (uint64_t i = 0; i < pages; i++)
		area[i * stride] = i + round;
	return rdtsc_ordered() - start;
}

/* Cycles per rdtsc, averaged over 1000 back-to-back reads. */
static uint64_t rdtsc_cost(void)
{
	uint64_t start = rdtsc_ordered();

	for (int i = 0; i < 1000; i++)
		(void)rdtsc(); /* asm volatile: never dropped */
	return (rdtsc_ordered() - start) / 1000;
}

int guest_main(void)
{
	uint64_t pages = arg_get_u64("pages", 16384);
	uint64_t rounds = arg_get_u64("rounds", 4);
	volatile uint64_t *area;
	uint64_t first, rest = 0, touches;
	char c1[32], n1[32], c2[32], n2[32];

	GUEST_ASSERT_MSG(pages > 0 && rounds >= 2, "pages=%lu rounds=%lu",
			 pages, rounds);
	area = layout_data_area(pages * PAGE_SIZE, 0);
	first = touch_round(area, pages, 0);
	for (uint64_t r = 1; r < rounds; r++)
		rest += touch_round(area, pages, r);
	touches = pages * (rounds - 1);
	/* every page holds the last round's word: the stores really landed */
	for (uint64_t i = 0; i < pages; i++)
		GUEST_ASSERT_MSG(area[i * (PAGE_SIZE / sizeof(*area))] ==
					 i + rounds - 1,
				 "page %lu lost its write", i);
	GUEST_REPORT("touches=%lu cycles_per_touch=%s ns_per_touch=%s "
		     "first_cycles_per_touch=%s first_ns_per_touch=%s "
		     "rdtsc_cycles=%lu tsc_khz=%lu invtsc=%d verified_pages=%lu",
		     touches, fmt_ratio(c2, sizeof(c2), rest, touches),
		     fmt_ns_per(n2, sizeof(n2), rest, touches),
		     fmt_ratio(c1, sizeof(c1), first, pages),
		     fmt_ns_per(n1, sizeof(n1), first, pages), rdtsc_cost(),
		     tsc_khz(), cpu_has(CPU_FEATURE_INVTSC), pages);
	return 0;
}
