/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For tests that page guest memory out: is there swap to page out to?
 * scripts/setup-host.sh (make check-setup, as root) sets up zram swap when the
 * host has none; tests only look and skip (77) with that advice.
 */
#ifndef TESTS_SWAP_UTIL_H
#define TESTS_SWAP_UTIL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * True if swap is configured with at least @min_free bytes free
 * (/proc/swaps).  Else false, with *@reason (if not NULL) set to why and
 * what to do (g_free it).
 */
bool swap_available(uint64_t min_free, char **reason);

/* For a g_test case: g_test_skip() with the reason and false, or true. */
bool swap_or_skip(uint64_t min_free);

/*
 * For main(), before g_test_init(): true if swap is there.  Else prints
 * the skip (a TAP skip plan with --tap), sets *@status to what main()
 * must return (0 under --tap, 77 by hand) and returns false.
 */
bool swap_or_skip_program(int argc, char **argv, uint64_t min_free,
			  int *status);

#endif
