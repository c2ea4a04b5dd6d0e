/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guests that do real work on their memory: the workload generator with
 * verification, and the page-touch speed probe.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "harness.h"

/* Report value @key as a number; fails the test (and gives NAN) if not. */
static double report_number(const HarnessResult *r, const char *key)
{
	g_autofree char *v = harness_report_get(r->out, key);
	char *end = NULL;
	double d;

	if (!v) {
		harness_fail(r, "no guest-report line with %s=", key);
		return NAN;
	}
	d = g_ascii_strtod(v, &end);
	if (end == v || *end) {
		harness_fail(r, "%s=%s is not a number", key, v);
		return NAN;
	}
	return d;
}

static void test_workload_verify(void)
{
	g_autoptr(HarnessResult) r = NULL;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "workload");
	r = harness_run_guest(prog, "-m", "128M", "-append",
			      "size=32M passes=3 verify=on", NULL);
	harness_assert_exit(r, 0);
	g_assert_cmpfloat(report_number(r, "corrupt"), ==, 0);
	/* It really worked: 3 passes over the hot eighth (1024 pages). */
	g_assert_cmpfloat(report_number(r, "passes"), ==, 3);
	g_assert_cmpfloat(report_number(r, "pages_touched"), ==, 3 * 1024);
	g_assert_cmpfloat(report_number(r, "fill_pages"), ==, 8192);
}

static void test_touch_speed(void)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *ns = NULL, *khz = NULL;
	double v;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "touch_speed");
	r = harness_run_guest(prog, NULL);
	harness_assert_exit(r, 0);
	ns = harness_report_get(r->out, "ns_per_touch");
	khz = harness_report_get(r->out, "tsc_khz");
	if (!ns) {
		harness_fail(r, "no guest-report line with ns_per_touch=");
		return;
	}
	if (!strcmp(ns, "na") || (khz && !strcmp(khz, "0"))) {
		g_test_skip("tsc_khz unknown: the guest cannot turn cycles "
			    "into nanoseconds");
		return;
	}
	v = report_number(r, "ns_per_touch");
	g_test_message("ns_per_touch=%.2f tsc_khz=%s", v, khz ? khz : "?");
	g_assert_cmpfloat(v, >, 0);
	g_assert_cmpfloat(v, <, 200);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/kvm/workload/verify", test_workload_verify);
	g_test_add_func("/kvm/workload/touch-speed", test_touch_speed);
	return g_test_run();
}
