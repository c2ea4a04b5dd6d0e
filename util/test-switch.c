/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of test switches and the only getenv() of product code.
 * docs/devel/testing.rst has the same table for readers; keep both in step.
 *
 * Locking: none; see include/util/test-switch.h.
 */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "util/test-switch.h"

/*
 * Every switch: its variable, what setting it forces, and who sets it.
 * Keep docs/devel/testing.rst ("Test switches") in step.
 */
static const char *const test_switches[TEST_SWITCH__MAX] = {
	/*
	 * =1: memory-populate jobs see EINVAL from madvise(), as on a
	 * kernel without MADV_POPULATE_* (job/populate.c).
	 * Set by tests/unit/test-populate.c, tests/qmp/test-qmp-populate.c.
	 */
	[TEST_SWITCH_POPULATE_EINVAL] = "KVMAGE_TEST_POPULATE_EINVAL",
	/*
	 * =1: preallocation touches pages under a SIGBUS handler instead
	 * of MADV_POPULATE_WRITE, as on an older kernel (backends/prealloc.c).
	 * Set by tests/unit/test-prealloc.c, tests/unit/test-hostmem.c.
	 */
	[TEST_SWITCH_PREALLOC_TOUCH] = "KVMAGE_TEST_PREALLOC_TOUCH",
	/*
	 * =pagemap or =pagemap-scan: residency counts with that method
	 * instead of the probed one (memory/residency.c), so both can be
	 * compared on one kernel.  Set by tests/unit/test-residency.c,
	 * tests/qmp/test-qmp-residency.c, bench/residency.c.
	 */
	[TEST_SWITCH_RESIDENCY_METHOD] = "KVMAGE_TEST_RESIDENCY_METHOD",
	/*
	 * =off: residency of shared memory uses lseek(SEEK_DATA/SEEK_HOLE)
	 * instead of cachestat() (memory/residency.c).
	 * Set by tests/unit/test-residency.c.
	 */
	[TEST_SWITCH_RESIDENCY_CACHESTAT] = "KVMAGE_TEST_RESIDENCY_CACHESTAT",
	/*
	 * =PATH: reclaim reads SwapTotal/SwapFree from PATH instead of
	 * /proc/meminfo (reclaim/reclaim-swap.c): "no swap", "swap full".
	 * Set by tests/qmp/test-qmp-reclaim.c.
	 */
	[TEST_SWITCH_MEMINFO] = "KVMAGE_TEST_MEMINFO",
	/*
	 * =1: the madvise ring falls back to plain madvise(), as without
	 * io_uring (memory/madvise-ring.c).
	 * Set by tests/unit/test-madvise-ring.c, tests/unit/test-reclaim.c.
	 */
	[TEST_SWITCH_MADVISE_NO_URING] = "KVMAGE_TEST_MADVISE_NO_URING",
	/*
	 * =N: the madvise ring bounds io-wq to N workers instead of
	 * MADVISE_RING_WORKERS (memory/madvise-ring.c).  Set by hand when
	 * re-measuring that default with bench/reclaim.
	 */
	[TEST_SWITCH_MADVISE_WORKERS] = "KVMAGE_TEST_MADVISE_WORKERS",
};

const char *test_switch_name(TestSwitch sw)
{
	g_assert(sw < TEST_SWITCH__MAX);
	return test_switches[sw];
}

const char *test_switch_value(TestSwitch sw)
{
	const char *val = getenv(test_switch_name(sw));

	return val && *val ? val : NULL;
}

bool test_switch_enabled(TestSwitch sw)
{
	const char *val = test_switch_value(sw);

	return val && strcmp(val, "0");
}
