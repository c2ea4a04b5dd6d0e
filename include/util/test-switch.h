/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test switches: environment variables that make kvmage take a path a
 * test (or a benchmark) cannot reach otherwise on the host it runs on.
 * They are not settings; nothing a user does should need them.
 *
 * Every switch is named KVMAGE_TEST_* and listed in util/test-switch.c
 * (name, what it forces, which tests set it) and in
 * docs/devel/testing.rst.  util/test-switch.c is the only product code
 * that reads the environment: add a switch there, never call getenv()
 * elsewhere.
 *
 * Locking: none.  The environment is read at every call, so in-process
 * tests can flip a switch between calls; they must not do so while
 * another thread may be reading it (setenv() is not thread-safe).
 */
#ifndef UTIL_TEST_SWITCH_H
#define UTIL_TEST_SWITCH_H

#include <stdbool.h>

typedef enum TestSwitch {
	TEST_SWITCH_POPULATE_EINVAL,
	TEST_SWITCH_PREALLOC_TOUCH,
	TEST_SWITCH_RESIDENCY_METHOD,
	TEST_SWITCH_RESIDENCY_CACHESTAT,
	TEST_SWITCH_MEMINFO,
	TEST_SWITCH_MADVISE_NO_URING,
	TEST_SWITCH_MADVISE_WORKERS,
	TEST_SWITCH__MAX,
} TestSwitch;

/* The environment variable of @sw: "KVMAGE_TEST_...". */
const char *test_switch_name(TestSwitch sw);

/* The value of @sw's variable, or NULL when it is unset or empty. */
const char *test_switch_value(TestSwitch sw);

/* Is @sw set to something other than "" and "0"? */
bool test_switch_enabled(TestSwitch sw);

#endif
