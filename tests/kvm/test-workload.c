/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guests that do real work on their memory: the workload generator with
 * verification (clean runs must verify every page, a corrupted page must
 * fail naming its address in every rw mode), the page-touch speed
 * probe, and the per-scan aging log (-d aging) of a working guest.
 */
#include <math.h>
#include <stdio.h>
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
	g_assert_cmpfloat(report_number(r, "verified_pages"), ==, 8192);
}

#define WL_SIZE_PAGES 4096 /* size=16M */

/* Data area base from the first line "workload: N pages at 0x..., ...". */
static guint64 workload_base(const HarnessResult *r)
{
	const char *at = strstr(r->out, " pages at 0x");
	guint64 base;
	char *end;

	if (!at) {
		harness_fail(r, "no 'pages at 0x' in the workload's output");
		return 0;
	}
	base = g_ascii_strtoull(at + strlen(" pages at "), &end, 16);
	if (*end != ',' || base % 4096) {
		harness_fail(r, "bad data area base in the output");
		return 0;
	}
	return base;
}

static HarnessResult *workload_run(const char *prog, const char *append)
{
	return harness_run_guest(prog, "-m", "64M", "-append", append, NULL);
}

/*
 * Run with page @page clobbered after the fill: kvmage must exit 1 and
 * stderr must name the page's address, the expected and the found value.
 * @when is "pass 0" or "final sweep": which check must catch it.
 */
static void workload_expect_corrupt(const char *append, guint64 page,
				    const char *when)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *args = NULL, *want = NULL, *word = NULL;
	const char *prog;
	guint64 base;

	HARNESS_GUEST_OR_SKIP(prog, "workload");
	args = g_strdup_printf("size=16M passes=2 %s inject=%" G_GUINT64_FORMAT,
			       append, page);
	r = workload_run(prog, args);
	harness_assert_exit(r, 1);
	base = workload_base(r);
	if (!base)
		return;
	want = g_strdup_printf("corrupt page %" G_GUINT64_FORMAT " at gpa "
			       "%#" G_GINT64_MODIFIER "x: ",
			       page, base + page * 4096);
	/* inject= zeroes the middle word, at offset 2048. */
	word = g_strdup_printf("word at gpa %#" G_GINT64_MODIFIER "x expected "
			       "0x",
			       base + page * 4096 + 2048);
	if (!strstr(r->err, want) || !strstr(r->err, word) ||
	    !strstr(r->err, " found 0x0 ") || !strstr(r->err, when))
		harness_fail(r,
			     "stderr does not report '%s%s... found 0x0' "
			     "in %s",
			     want, word, when);
	g_assert_null(strstr(r->out, "guest-report:"));
}

/* Page 5 is in the hot set: the first pass catches it in every rw mode. */
static void test_workload_inject_read(void)
{
	workload_expect_corrupt("rw=read", 5, "(generation 0, pass 0)");
}

static void test_workload_inject_write(void)
{
	workload_expect_corrupt("rw=write", 5, "(generation 0, pass 0)");
}

static void test_workload_inject_mixed(void)
{
	workload_expect_corrupt("rw=mixed", 5, "(generation 0, pass 0)");
}

/* A cold page is never touched by a pass: only the final sweep sees it. */
static void test_workload_inject_final(void)
{
	g_autoptr(HarnessResult) r = NULL;
	const char *prog;

	workload_expect_corrupt("rw=write", 3000,
				"(generation 0, final sweep)");

	/* Without the sweep the same run passes: the sweep caught it. */
	HARNESS_GUEST_OR_SKIP(prog, "workload");
	r = workload_run(prog, "size=16M passes=2 rw=write final=off "
			       "inject=3000");
	harness_assert_exit(r, 0);
	g_assert_cmpfloat(report_number(r, "verified_pages"), ==, 0);
}

/* Clean runs of every pattern and rw mode: no corruption, all verified. */
static void test_workload_clean(void)
{
	static const char *const patterns[] = {
		"hotcold", "uniform", "zipf", "phases", "scan",
	};
	static const char *const rws[] = { "read", "write", "mixed" };
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "workload");
	for (guint i = 0; i < G_N_ELEMENTS(patterns); i++) {
		for (guint j = 0; j < G_N_ELEMENTS(rws); j++) {
			g_autoptr(HarnessResult) r = NULL;
			g_autofree char *args = NULL;

			args = g_strdup_printf("size=16M passes=2 pattern=%s "
					       "rw=%s",
					       patterns[i], rws[j]);
			r = workload_run(prog, args);
			harness_assert_exit(r, 0);
			g_assert_cmpfloat(report_number(r, "corrupt"), ==, 0);
			g_assert_cmpfloat(report_number(r, "passes"), ==, 2);
			g_assert_cmpfloat(report_number(r, "verified_pages"),
					  ==, WL_SIZE_PAGES);
			g_assert_cmpfloat(report_number(r, "pages_touched"), >,
					  0);
		}
	}
}

/*
 * The touch-speed probe runs and reports sane figures.  How fast it is
 * is not a test's business (an emulated lane is 20-50x slower): that is
 * bench/touch-speed, as a ratio against a host process.
 */
/*
 * -d aging: one line per scan of the uffd feed (mode=full re-arms every
 * page each scan, so the hot set faults again at every scan), with scan
 * numbers that go up, pages covered that are the memdev's, and faults
 * and zaps that add up to work done.  Without -d aging, not a line.
 */
static void test_aging_log(void)
{
	static const char *const aging =
		"memory-aging,id=age0,memdev=mem0,backend=uffd,mode=full,"
		"interval=20";
	g_autoptr(HarnessResult) r = NULL, quiet = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	guint64 last = 0, faults = 0, zapped = 0, accessed = 0;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "workload");
	r = harness_run_guest(prog, "-d", "aging", "-object",
			      "memory-backend-memfd,id=mem0,size=96M",
			      "-machine", "memory-backend=mem0", "-object",
			      aging, "-append",
			      "size=16M hot=4M pattern=hotcold rw=write "
			      "passes=30",
			      NULL);
	harness_assert_exit(r, 0);
	lines = harness_grep(r->err, "aging: mem0: scan ");
	if (lines->len < 3)
		harness_result_dump(r);
	g_assert_cmpuint(lines->len, >=, 3);
	for (guint i = 0; i < lines->len; i++) {
		const char *line = lines->pdata[i];
		guint64 n, w, pages, us, k, u, f, z;

		if (strstr(line, "skipped"))
			continue;
		if (sscanf(line,
			   "aging: mem0: scan %" G_GUINT64_FORMAT
			   " (uffd): %" G_GUINT64_FORMAT
			   " accessed of %" G_GUINT64_FORMAT
			   " pages, %" G_GUINT64_FORMAT
			   " us (kernel %" G_GUINT64_FORMAT
			   " us, user %" G_GUINT64_FORMAT
			   " us), %" G_GUINT64_FORMAT
			   " faults, %" G_GUINT64_FORMAT " zapped",
			   &n, &w, &pages, &us, &k, &u, &f, &z) != 8)
			harness_fail(r, "unexpected line '%s'", line);
		g_assert_cmpuint(n, >, last);
		g_assert_cmpuint(pages, ==, (96 << 20) / 4096);
		g_assert_cmpuint(w, <=, pages);
		last = n;
		accessed += w;
		faults += f;
		zapped += z;
	}
	g_test_message("%u scans: %" G_GUINT64_FORMAT
		       " accessed, %" G_GUINT64_FORMAT
		       " faults, %" G_GUINT64_FORMAT " zapped",
		       lines->len, accessed, faults, zapped);
	/* the hot set faulted after being armed; every scan zaps */
	g_assert_cmpuint(faults, >=, 1024);
	g_assert_cmpuint(accessed, >=, 1024);
	g_assert_cmpuint(zapped, >=, 1024);

	quiet = harness_run_guest(prog, "-object",
				  "memory-backend-memfd,id=mem0,size=96M",
				  "-machine", "memory-backend=mem0", "-object",
				  aging, "-append", "size=16M passes=3", NULL);
	harness_assert_exit(quiet, 0);
	g_assert_null(strstr(quiet->err, "aging:"));
}

static void test_touch_speed(void)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *ns = NULL, *first_ns = NULL;
	double khz, cycles, first_cycles;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "touch_speed");
	r = harness_run_guest(prog, "-append", "pages=4096 rounds=3", NULL);
	harness_assert_exit(r, 0);
	/* it touched and read back what it was asked to */
	g_assert_cmpfloat(report_number(r, "touches"), ==, 4096 * 2);
	g_assert_cmpfloat(report_number(r, "verified_pages"), ==, 4096);
	cycles = report_number(r, "cycles_per_touch");
	first_cycles = report_number(r, "first_cycles_per_touch");
	g_assert_cmpfloat(cycles, >, 0);
	g_assert_cmpfloat(first_cycles, >, 0);
	g_assert_cmpfloat(report_number(r, "rdtsc_cycles"), >, 0);
	khz = report_number(r, "tsc_khz");
	ns = harness_report_get(r->out, "ns_per_touch");
	first_ns = harness_report_get(r->out, "first_ns_per_touch");
	g_test_message("ns_per_touch=%s first_ns_per_touch=%s tsc_khz=%.0f", ns,
		       first_ns, khz);
	if (khz == 0) {
		/* no frequency, no time: the guest says so */
		g_assert_cmpstr(ns, ==, "na");
		g_assert_cmpstr(first_ns, ==, "na");
		return;
	}
	/* ns agree with cycles at tsc_khz, to the hundredths printed */
	g_assert_cmpfloat_with_epsilon(report_number(r, "ns_per_touch"),
				       cycles * 1e6 / khz,
				       0.02 + cycles * 1e6 / khz * 1e-3);
	g_assert_cmpfloat_with_epsilon(report_number(r, "first_ns_per_touch"),
				       first_cycles * 1e6 / khz,
				       0.02 + first_cycles * 1e6 / khz * 1e-3);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/kvm/workload/verify", test_workload_verify);
	g_test_add_func("/kvm/workload/inject/read", test_workload_inject_read);
	g_test_add_func("/kvm/workload/inject/write",
			test_workload_inject_write);
	g_test_add_func("/kvm/workload/inject/mixed",
			test_workload_inject_mixed);
	g_test_add_func("/kvm/workload/inject/final",
			test_workload_inject_final);
	g_test_add_func("/kvm/workload/clean", test_workload_clean);
	g_test_add_func("/kvm/workload/touch-speed", test_touch_speed);
	g_test_add_func("/kvm/workload/aging-log", test_aging_log);
	return g_test_run();
}
