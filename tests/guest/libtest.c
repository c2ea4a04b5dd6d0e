/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Self-test of the guest library, run inside the VM: formatting, number
 * parsing, string functions, the PRNG, TSC formatting helpers and the
 * CPU index.  With -append "a=1 b=2K flag c=off s=hello" it also checks
 * the -append accessors.  A check that needs an optional CPU feature the
 * CPU lacks is skipped with a "skip: ..." line (guest/cpuid.h).  Reports
 * "checks=N skipped=N tsc=0|1 rdtscp=0|1 invtsc=0|1" (the features CPUID
 * announces) and exits 0; any failure is a GUEST_ASSERT naming the case.
 */
#include <stdint.h>

#include "guest/args.h"
#include "guest/cpuid.h"
#include "guest/crt.h"
#include "guest/rand.h"
#include "guest/string.h"
#include "guest/tsc.h"
#include "guest/ucall.h"

static unsigned int checks, skipped;

#define CHECK_FMT(expect, fmt, ...)                                             \
	do {                                                                    \
		char __b[64];                                                   \
		int __n = snprintf(__b, sizeof(__b), fmt, ##__VA_ARGS__);       \
		GUEST_ASSERT_MSG(!strcmp(__b, expect) &&                        \
					 __n == (int)strlen(expect),            \
				 "format \"%s\": got \"%s\" (%d), want \"%s\"", \
				 fmt, __b, __n, expect);                        \
		checks++;                                                       \
	} while (0)

static void test_format(void)
{
	const char *volatile null_str = NULL;
	char small[4];
	int n;

	CHECK_FMT("-5", "%d", -5);
	CHECK_FMT("   42", "%5d", 42);
	CHECK_FMT("42   |", "%-5d|", 42);
	CHECK_FMT("-0042", "%05d", -42);
	CHECK_FMT("+7", "%+d", 7);
	CHECK_FMT("4294967295", "%u", 4294967295u);
	CHECK_FMT("beef", "%x", 0xbeef);
	CHECK_FMT("AB", "%X", 0xab);
	CHECK_FMT("0x1234", "%#lx", 0x1234UL);
	CHECK_FMT("ffffffffffffffff", "%lx", ~0UL);
	CHECK_FMT("18446744073709551615", "%llu", ~0ULL);
	CHECK_FMT("-9223372036854775808", "%ld", (long)INT64_MIN);
	CHECK_FMT("00000abc", "%08x", 0xabc);
	CHECK_FMT("abc", "%s", "abc");
	CHECK_FMT("ab", "%.2s", "abc");
	CHECK_FMT("  abc", "%5s", "abc");
	CHECK_FMT("(null)", "%s", null_str);
	CHECK_FMT("z", "%c", 'z');
	CHECK_FMT("0x1000", "%p", (void *)0x1000);
	CHECK_FMT("100%", "%d%%", 100);
	CHECK_FMT("   7", "%*d", 4, 7);
	CHECK_FMT("12", "%zu", (size_t)12);
	CHECK_FMT("-3 200", "%hd %hhu", (short)-3, (unsigned char)200);
	CHECK_FMT("17", "%o", 15);
	CHECK_FMT("007", "%.3d", 7);

	n = snprintf(small, sizeof(small), "abcdef");
	GUEST_ASSERT_EQ(n, 6);
	GUEST_ASSERT(!strcmp(small, "abc"));
	checks++;
}

static void check_parse(const char *s, bool ok, uint64_t want)
{
	uint64_t v = 0;
	bool r = args_parse_u64(s, &v);

	GUEST_ASSERT_MSG(r == ok && (!ok || v == want),
			 "parse \"%s\": %d %#lx, want %d %#lx", s, r, v, ok,
			 want);
	checks++;
}

static void test_parse(void)
{
	check_parse("0", true, 0);
	check_parse("4096", true, 4096);
	check_parse("0x10", true, 16);
	check_parse("64M", true, 64ULL << 20);
	check_parse("2g", true, 2ULL << 30);
	check_parse("1T", true, 1ULL << 40);
	check_parse("8k", true, 8192);
	check_parse("18446744073709551615", true, UINT64_MAX);
	check_parse("18446744073709551616", false, 0);
	check_parse("", false, 0);
	check_parse("x", false, 0);
	check_parse("0x", false, 0);
	check_parse("12Q", false, 0);
	check_parse("1MB", false, 0);
	check_parse("-1", false, 0);
	check_parse("16777216T", false, 0);
}

static void test_string(void)
{
	char buf[16] = "0123456789";

	memmove(buf + 2, buf, 5);
	GUEST_ASSERT(!memcmp(buf, "0101234789", 10));
	memmove(buf, buf + 2, 5);
	GUEST_ASSERT(!memcmp(buf, "0123434789", 10));
	memset(buf, 'x', 3);
	GUEST_ASSERT(!memcmp(buf, "xxx3434789", 10));
	memcpy(buf, "hello", 6);
	GUEST_ASSERT_EQ(strlen(buf), 5);
	GUEST_ASSERT(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0);
	GUEST_ASSERT(!strncmp("abcx", "abcy", 3) && strncmp("ab", "abc", 3));
	checks += 6;
}

static void test_rng(void)
{
	struct rng a, b;
	unsigned int hist[10] = { 0 };

	rng_seed(&a, 42);
	rng_seed(&b, 42);
	for (int i = 0; i < 100; i++)
		GUEST_ASSERT_EQ(rng_next(&a), rng_next(&b));
	rng_seed(&b, 43);
	GUEST_ASSERT(rng_next(&a) != rng_next(&b));
	for (int i = 0; i < 10000; i++) {
		uint64_t v = rng_below(&a, 10);

		GUEST_ASSERT_MSG(v < 10, "rng_below(10) gave %lu", v);
		hist[v]++;
	}
	for (int i = 0; i < 10; i++)
		GUEST_ASSERT_MSG(hist[i] > 850 && hist[i] < 1150,
				 "bucket %d has %u of 10000", i, hist[i]);
	checks += 4;
}

static void test_tsc(void)
{
	char buf[32];
	uint64_t t0 = rdtsc(), t1 = rdtsc_ordered();
	uint32_t aux;

	GUEST_ASSERT(t1 >= t0);
	/* optional: qemu64 and -cpu host,-rdtscp have no RDTSCP (#UD) */
	if (cpu_has_or_skip(CPU_FEATURE_RDTSCP, "libtest rdtscp check")) {
		GUEST_ASSERT(rdtscp(&aux) >= t1);
		checks++;
	} else {
		skipped++;
	}
	GUEST_ASSERT(!strcmp(fmt_ratio(buf, sizeof(buf), 150, 100), "1.50"));
	GUEST_ASSERT(!strcmp(fmt_ratio(buf, sizeof(buf), 1, 3), "0.33"));
	GUEST_ASSERT(!strcmp(fmt_ratio(buf, sizeof(buf), 5, 0), "na"));
	if (tsc_khz())
		GUEST_ASSERT_EQ(tsc_to_ns(tsc_khz() * 3), 3000000);
	checks += 5;
}

static void test_args(void)
{
	if (!arg_get_str("a"))
		return;
	GUEST_ASSERT_EQ(arg_get_u64("a", 0), 1);
	GUEST_ASSERT_EQ(arg_get_u64("b", 0), 2048);
	GUEST_ASSERT_EQ(arg_get_u64("missing", 99), 99);
	GUEST_ASSERT(arg_get_bool("flag", false));
	GUEST_ASSERT(!arg_get_bool("c", true));
	GUEST_ASSERT(!strcmp(arg_get_str("s"), "hello"));
	GUEST_ASSERT(!strcmp(arg_get_str("flag"), ""));
	GUEST_ASSERT(!arg_get_str("hell"));
	checks += 8;
}

int guest_main(void)
{
	GUEST_ASSERT_EQ(guest_cpu(), 0);
	GUEST_ASSERT_EQ(guest_boot_info()->magic, BOOT_INFO_MAGIC);
	test_format();
	test_parse();
	test_string();
	test_rng();
	test_tsc();
	test_args();
	/* the features as CPUID announces them, for the host to compare */
	GUEST_REPORT("checks=%u skipped=%u tsc=%d rdtscp=%d invtsc=%d", checks,
		     skipped, cpu_has(CPU_FEATURE_TSC),
		     cpu_has(CPU_FEATURE_RDTSCP), cpu_has(CPU_FEATURE_INVTSC));
	return 0;
}
