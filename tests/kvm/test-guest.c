/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest<->VMM contract end to end: ucall round trips, GUEST_ASSERT,
 * exit statuses, several vCPUs, exceptions and triple faults.
 */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "harness.h"

/* Value of "key=N" inside @line, or -1. */
static gint64 field_u64(const char *line, const char *key)
{
	g_autofree char *pat = g_strconcat(" ", key, "=", NULL);
	const char *p = strstr(line, pat);
	char *end;
	guint64 v;

	if (!p)
		return -1;
	p += strlen(pat);
	v = g_ascii_strtoull(p, &end, 0);
	return end == p ? -1 : (gint64)v;
}

/*
 * "timeout=MS" for the guests that give up after a while (exit_code, smp,
 * exception; their default is 10 s), scaled like every wait of the tests.
 */
static char *guest_timeout(void)
{
	return g_strdup_printf("timeout=%" G_GUINT64_FORMAT,
			       timescale_ms(10000));
}

static void test_ucall(void)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autoptr(GPtrArray) syncs = NULL;
	gint64 last_stage = -1;
	const char *prog;
	unsigned i;

	HARNESS_GUEST_OR_SKIP(prog, "ucall");
	r = harness_run_guest(prog, "-d", "ucall", NULL);
	harness_assert_exit(r, 0);
	syncs = harness_grep(r->err, "ucall: SYNC ");
	if (syncs->len != 4)
		harness_result_dump(r);
	/* tests/guest/ucall.c: 4 SYNCs, stage i with args i * 10, ... */
	g_assert_cmpuint(syncs->len, ==, 4);
	g_assert_cmpstr(syncs->pdata[0], ==,
			"ucall: SYNC cpu=0 stage=1 "
			"args=0xa,0xdeadbeef,0x3,0x4,0x5 count=1");
	g_assert_nonnull(strstr(r->out, "ucall: 4 syncs ok on cpu 0\n"));
	/* The host's count is 1, 2, 3...; the guest's stages only go up. */
	for (i = 0; i < syncs->len; i++) {
		const char *line = syncs->pdata[i];
		gint64 stage = field_u64(line, "stage");

		g_assert_cmpint(field_u64(line, "count"), ==, i + 1);
		g_assert_cmpint(stage, >, last_stage);
		last_stage = stage;
	}
}

/* Without -d ucall there is no SYNC log. */
static void test_ucall_quiet(void)
{
	g_autoptr(HarnessResult) r = NULL;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "ucall");
	r = harness_run_guest(prog, NULL);
	harness_assert_exit(r, 0);
	g_assert_null(strstr(r->err, "ucall: SYNC"));
}

static void test_assert(void)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autoptr(GRegex) re = NULL;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "assert_fail");
	r = harness_run_guest(prog, NULL);
	harness_assert_exit(r, 1);
	re = g_regex_new("^kvmage: guest assertion failed: [\\w./-]+\\.c:"
			 "[0-9]+: ",
			 G_REGEX_MULTILINE, 0, NULL);
	if (!g_regex_match(re, r->err, 0, NULL))
		harness_fail(r, "no 'guest assertion failed: FILE:LINE:'");
}

static void test_exit_code(void)
{
	g_autofree char *timeout = guest_timeout();
	g_autoptr(HarnessResult) r = NULL;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "exit_code");
	r = harness_run_guest(prog, "-append", timeout, NULL);
	harness_assert_exit(r, 7);
}

static void test_smp(void)
{
	g_autofree char *timeout = guest_timeout();
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *cpus = NULL;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "smp");
	r = harness_run_guest(prog, "-smp", "2", "-append", timeout, NULL);
	harness_assert_exit(r, 0);
	cpus = harness_report_get(r->out, "cpus");
	g_assert_cmpstr(cpus, ==, "2");
	g_assert_nonnull(strstr(r->out, "smp: cpu 0 up\n"));
	g_assert_nonnull(strstr(r->out, "smp: cpu 1 up\n"));
}

#define LIBTEST_SKIP_RDTSCP                                        \
	"skip: libtest rdtscp check: the CPU lacks rdtscp (CPUID " \
	"0x80000001 EDX bit 27 is clear)\n"
#define LIBTEST_CHECKS 66 /* with -append "a=1 ...", rdtscp included */

/*
 * The guest library's self-test (printf, parsing, PRNG, TSC, -append)
 * with -cpu @cpu, which hides rdtscp if @hide_rdtscp and invtsc if
 * @hide_invtsc.  The guest must see what KVM supports less what was
 * hidden (read with CPUID in ring 0: on PVM ring 3 sees the host's), and
 * skip the rdtscp check, saying so, exactly when it sees no RDTSCP.
 */
static void check_libtest(const char *cpu, bool hide_rdtscp, bool hide_invtsc)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *checks = NULL, *skipped = NULL;
	g_autofree char *rdtscp = NULL, *invtsc = NULL;
	bool kvm_rdtscp = harness_kvm_cpuid_edx(0x80000001) >> 27 & 1;
	bool kvm_invtsc = harness_kvm_cpuid_edx(0x80000007) >> 8 & 1;
	bool want_rdtscp = kvm_rdtscp && !hide_rdtscp;
	bool want_invtsc = kvm_invtsc && !hide_invtsc;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "libtest");
	g_test_message("KVM supports rdtscp %d invtsc %d; -cpu %s", kvm_rdtscp,
		       kvm_invtsc, cpu);
	r = harness_run_guest(prog, "-cpu", cpu, "-append",
			      "a=1 b=2K flag c=off s=hello", NULL);
	harness_assert_exit(r, 0);
	checks = harness_report_get(r->out, "checks");
	skipped = harness_report_get(r->out, "skipped");
	rdtscp = harness_report_get(r->out, "rdtscp");
	invtsc = harness_report_get(r->out, "invtsc");
	g_assert_cmpstr(rdtscp, ==, want_rdtscp ? "1" : "0");
	g_assert_cmpstr(invtsc, ==, want_invtsc ? "1" : "0");
	if (want_rdtscp) {
		g_assert_null(strstr(r->out, "skip:"));
		g_assert_cmpint(atoi(checks), ==, LIBTEST_CHECKS);
		g_assert_cmpstr(skipped, ==, "0");
	} else {
		g_assert_nonnull(strstr(r->out, LIBTEST_SKIP_RDTSCP));
		g_assert_cmpint(atoi(checks), ==, LIBTEST_CHECKS - 1);
		g_assert_cmpstr(skipped, ==, "1");
	}
}

static void test_libtest(void)
{
	check_libtest("host", false, false);
}

/* A CPU without RDTSCP (and invariant TSC), as QEMU's qemu64 model. */
static void test_libtest_no_rdtscp(void)
{
	check_libtest("host,-rdtscp,invtsc=off", true, true);
}

/* All vCPUs halted without GUEST_DONE: a stuck guest, not a success. */
static void test_halt(void)
{
	g_autoptr(HarnessResult) r = NULL;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "halt");
	r = harness_run_guest(prog, "-smp", "2", NULL);
	harness_assert_exit(r, 1);
	g_assert_nonnull(strstr(r->err, "all vCPUs halted without GUEST_DONE"));
	g_assert_nonnull(strstr(r->err, " at rip 0x"));
}

static void test_triple_fault(void)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *err = NULL;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "triple_fault");
	r = harness_run_guest(prog, NULL);
	harness_assert_exit(r, 1);
	err = g_ascii_strdown(r->err, -1);
	if (!g_str_has_prefix(err, "kvmage: ") ||
	    (!strstr(err, "shutdown") && !strstr(err, "triple fault")) ||
	    !strstr(err, "rip"))
		harness_fail(r, "no 'kvmage: ...shutdown/triple fault...rip'");
}

/*
 * tests/guest/exception.c: a ring-3 read of a canonical but unmapped
 * address on CPU @cpu gives #PF, error code 4 (user read, not present).
 */
static void check_exception(const char *smp, unsigned cpu)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autoptr(GRegex) re = NULL;
	g_autofree char *append = NULL, *pattern = NULL;
	g_autofree char *timeout = guest_timeout();
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "exception");
	append = g_strdup_printf("addr=0x7ead00000000 cpu=%u %s", cpu, timeout);
	r = harness_run_guest(prog, "-smp", smp, "-append", append, NULL);
	harness_assert_exit(r, 1);
	pattern = g_strdup_printf("^kvmage: guest exception: vector 14 "
				  "\\(#PF\\) error_code 0x4 rip 0x[0-9a-f]+ "
				  "cr2 0x7ead00000000 on cpu %u$",
				  cpu);
	re = g_regex_new(pattern, G_REGEX_MULTILINE, 0, NULL);
	if (!g_regex_match(re, r->err, 0, NULL))
		harness_fail(r, "no #PF report with cr2 0x7ead00000000");
}

static void test_exception(void)
{
	check_exception("1", 0);
}

/* On a secondary CPU, while CPU 0 keeps running. */
static void test_exception_secondary(void)
{
	check_exception("2", 1);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/kvm/guest/ucall", test_ucall);
	g_test_add_func("/kvm/guest/ucall-quiet", test_ucall_quiet);
	g_test_add_func("/kvm/guest/assert", test_assert);
	g_test_add_func("/kvm/guest/exit-code", test_exit_code);
	g_test_add_func("/kvm/guest/smp", test_smp);
	g_test_add_func("/kvm/guest/libtest", test_libtest);
	g_test_add_func("/kvm/guest/libtest-no-rdtscp", test_libtest_no_rdtscp);
	g_test_add_func("/kvm/guest/halt", test_halt);
	g_test_add_func("/kvm/guest/triple-fault", test_triple_fault);
	g_test_add_func("/kvm/guest/exception", test_exception);
	g_test_add_func("/kvm/guest/exception-secondary",
			test_exception_secondary);
	return g_test_run();
}
