/* SPDX-License-Identifier: GPL-2.0-or-later */
/* KVMAGE_TEST_TIME_SCALE: parsing, scaling, and a bad value is an error. */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "../timescale.h"

static void check_ok(const char *s, double want)
{
	char *msg = NULL;
	double v = -1;

	g_assert_true(timescale_parse(s, &v, &msg));
	g_assert_null(msg);
	g_assert_cmpfloat(v, ==, want);
}

static void check_bad(const char *s)
{
	g_autofree char *msg = NULL;
	g_autofree char *want =
		g_strdup_printf("KVMAGE_TEST_TIME_SCALE=%s: expected a number above 0 and at "
				"most 1000 (default 1)",
				s);
	double v = -1;

	g_assert_false(timescale_parse(s, &v, &msg));
	g_assert_cmpstr(msg, ==, want);
	g_assert_cmpfloat(v, ==, -1);
}

static void test_parse(void)
{
	check_ok(NULL, 1);
	check_ok("", 1);
	check_ok("1", 1);
	check_ok("20", 20);
	check_ok("2.5", 2.5);
	check_ok("0.5", 0.5);
	check_ok("1000", 1000);
	check_bad("0");
	check_bad("-1");
	check_bad("abc");
	check_bad("2x");
	check_bad("2 ");
	check_bad("nan");
	check_bad("inf");
	check_bad("1001");
}

/*
 * The child cases run only as subprocesses of /timescale/env, which sets
 * the environment first; run directly they do nothing.
 */
static void test_scaled_child(void)
{
	gint64 now, d;

	if (!g_test_subprocess())
		return;
	now = g_get_monotonic_time();
	d = timescale_deadline(1000);

	g_assert_cmpfloat(timescale_factor(), ==, 2.5);
	g_assert_cmpuint(timescale_ms(1000), ==, 2500);
	g_assert_cmpuint(timescale_ms(3), ==, 8); /* 7.5 rounded up */
	g_assert_cmpuint(timescale_ms(0), ==, 0);
	g_assert_cmpint(timescale_us(1000000), ==, 2500000);
	g_assert_cmpint(d - now, >=, 2500000);
	g_assert_cmpint(d - now, <, 2600000);
}

static void test_default_child(void)
{
	if (!g_test_subprocess())
		return;
	g_assert_cmpfloat(timescale_factor(), ==, 1);
	g_assert_cmpuint(timescale_ms(60000), ==, 60000);
}

static void test_bad_child(void)
{
	if (!g_test_subprocess())
		return;
	timescale_factor();
	g_assert_not_reached();
}

static void run_child(const char *path, const char *value)
{
	if (value)
		g_setenv(TIMESCALE_ENV, value, TRUE);
	else
		g_unsetenv(TIMESCALE_ENV);
	g_test_trap_subprocess(path, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_unsetenv(TIMESCALE_ENV);
}

static void test_env(void)
{
	run_child("/timescale/child/scaled", "2.5");
	g_test_trap_assert_passed();
	run_child("/timescale/child/default", NULL);
	g_test_trap_assert_passed();
	run_child("/timescale/child/default", "");
	g_test_trap_assert_passed();
	/* a typo is an error, never silently the default */
	run_child("/timescale/child/bad", "fast");
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("KVMAGE_TEST_TIME_SCALE=fast: expected a "
				  "number above 0 and at most 1000 (default "
				  "1)\n");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/timescale/parse", test_parse);
	g_test_add_func("/timescale/env", test_env);
	g_test_add_func("/timescale/child/scaled", test_scaled_child);
	g_test_add_func("/timescale/child/default", test_default_child);
	g_test_add_func("/timescale/child/bad", test_bad_child);
	return g_test_run();
}
