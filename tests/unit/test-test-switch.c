/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util/test-switch.c: names, values and what counts as "enabled". */
#include <string.h>
#include <glib.h>

#include "util/test-switch.h"

static void test_names(void)
{
	for (int i = 0; i < TEST_SWITCH__MAX; i++) {
		const char *name = test_switch_name(i);

		g_assert_nonnull(name);
		g_assert_true(g_str_has_prefix(name, "KVMAGE_TEST_"));
		for (int j = 0; j < i; j++)
			g_assert_cmpstr(name, !=, test_switch_name(j));
	}
}

static void test_values(void)
{
	TestSwitch sw = TEST_SWITCH_POPULATE_EINVAL;
	const char *name = test_switch_name(sw);

	g_unsetenv(name);
	g_assert_null(test_switch_value(sw));
	g_assert_false(test_switch_enabled(sw));
	g_setenv(name, "", TRUE);
	g_assert_null(test_switch_value(sw));
	g_assert_false(test_switch_enabled(sw));
	g_setenv(name, "0", TRUE);
	g_assert_cmpstr(test_switch_value(sw), ==, "0");
	g_assert_false(test_switch_enabled(sw));
	g_setenv(name, "1", TRUE);
	g_assert_true(test_switch_enabled(sw));
	g_setenv(name, "pagemap", TRUE);
	g_assert_cmpstr(test_switch_value(sw), ==, "pagemap");
	g_unsetenv(name);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/test-switch/names", test_names);
	g_test_add_func("/test-switch/values", test_values);
	return g_test_run();
}
