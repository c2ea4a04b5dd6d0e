/* SPDX-License-Identifier: GPL-2.0-or-later */
/* size_parse() and size_to_str(): QEMU's size syntax. */
#include <glib.h>

#include "util/error.h"
#include "util/size.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)
#define PiB (1ULL << 50)
#define EiB (1ULL << 60)

static void check_ok(const char *str, char def, uint64_t want)
{
	GError *err = NULL;
	uint64_t val = 0xdeadbeef;

	if (!size_parse(str, def, &val, &err))
		g_error("size_parse(\"%s\", '%c'): %s", str, def, err->message);
	g_assert_no_error(err);
	if (val != want)
		g_error("size_parse(\"%s\", '%c') = %" G_GUINT64_FORMAT
			", want %" G_GUINT64_FORMAT,
			str, def, val, want);
}

static void check_err(const char *str, char def, const char *want)
{
	GError *err = NULL;
	uint64_t val = 0x1234;

	g_assert_false(size_parse(str, def, &val, &err));
	g_assert_nonnull(err);
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==, want);
	g_assert_cmpuint(val, ==, 0x1234); /* untouched on failure */
	g_error_free(err);
}

static void test_plain(void)
{
	check_ok("0", 'B', 0);
	check_ok("4096", 'B', 4096);
	check_ok("4096", 'M', 4096 * MiB);
	check_ok("128", 'M', 128 * MiB);
	check_ok("007", 'B', 7); /* leading zeros are decimal, not octal */
	check_ok("18446744073709551615", 'B', UINT64_MAX);
}

static void test_suffixes(void)
{
	check_ok("1B", 'M', 1);
	check_ok("1b", 'M', 1);
	check_ok("1K", 'B', KiB);
	check_ok("1k", 'B', KiB);
	check_ok("2M", 'B', 2 * MiB);
	check_ok("2m", 'B', 2 * MiB);
	check_ok("3G", 'B', 3 * GiB);
	check_ok("3g", 'M', 3 * GiB);
	check_ok("4T", 'B', 4 * TiB);
	check_ok("4t", 'B', 4 * TiB);
	check_ok("5P", 'B', 5 * PiB);
	check_ok("5p", 'B', 5 * PiB);
	check_ok("15E", 'B', 15 * EiB);
	check_ok("15e", 'B', 15 * EiB);
	check_ok("0K", 'B', 0);
	/* the default suffix only applies to bare numbers */
	check_ok("1", 'K', KiB);
	check_ok("1", 'G', GiB);
	check_ok("1k", 'G', KiB);
}

static void test_hex(void)
{
	check_ok("0x1000", 'B', 4096);
	check_ok("0X1000", 'B', 4096);
	check_ok("0xfF", 'B', 255);
	check_ok("0x10", 'M', 16 * MiB);
	check_ok("0x2G", 'B', 2 * GiB);
	check_ok("0xffffffffffffffff", 'B', UINT64_MAX);
	check_err("0x", 'B', "invalid size '0x': expected hex digits after 0x");
	check_err("0xg", 'B',
		  "invalid size '0xg': expected hex digits after 0x");
	check_err("0x1.5G", 'B',
		  "invalid size '0x1.5G': hex numbers cannot have a fraction");
	check_err("0x10000000000000000", 'B',
		  "size '0x10000000000000000' "
		  "is out of range (must be below 2^64)");
	check_err("0x1000000000000000K", 'B',
		  "size '0x1000000000000000K' overflows 64 bits when scaled "
		  "to bytes (it must be below 16 EiB)");
}

static void test_fraction(void)
{
	check_ok("1.5G", 'B', GiB + GiB / 2);
	check_ok("1.5k", 'B', 1536);
	check_ok("0.5M", 'B', 512 * KiB);
	check_ok("0.25g", 'M', 256 * MiB);
	check_ok("1.0K", 'B', KiB);
	check_ok("0.1K", 'B', 102); /* 102.4 bytes, truncated */
	check_ok("1.999999999999999999999K", 'B', 2047); /* extra digits */
	check_ok("15.5E", 'B', 15 * EiB + EiB / 2);
	/* 2^64 - 11.53: the fraction's bytes are truncated */
	check_ok("15.99999999999999999E", 'B', UINT64_MAX - 11);
	check_err("1.5", 'M',
		  "invalid size '1.5': a fraction needs a suffix "
		  "K, M, G, T, P or E");
	check_err("1.5", 'B',
		  "invalid size '1.5': a fraction needs a suffix "
		  "K, M, G, T, P or E");
	check_err("1.5B", 'B',
		  "invalid size '1.5B': a fraction needs a "
		  "suffix K, M, G, T, P or E");
	check_err("1.G", 'B', "invalid size '1.G': expected digits after '.'");
	check_err(".5G", 'B', "invalid size '.5G': expected a number");
	check_err("1.5.5G", 'B',
		  "invalid size '1.5.5G': trailing characters '.5G'");
}

static void test_invalid(void)
{
	check_err("", 'B', "invalid size '': empty string");
	check_err(NULL, 'B', "invalid size '': empty string");
	check_err("abc", 'M', "invalid size 'abc': expected a number");
	check_err("M", 'B', "invalid size 'M': expected a number");
	check_err(" 1", 'B', "invalid size ' 1': expected a number");
	check_err("+1", 'B', "invalid size '+1': expected a number");
	check_err("-1", 'M', "invalid size '-1': sizes cannot be negative");
	check_err("-0", 'B', "invalid size '-0': sizes cannot be negative");
	check_err("1x", 'B',
		  "invalid size '1x': unknown suffix 'x' "
		  "(use B, K, M, G, T, P or E)");
	check_err("1.5x", 'B',
		  "invalid size '1.5x': unknown suffix 'x' "
		  "(use B, K, M, G, T, P or E)");
	check_err("1MiB", 'B', "invalid size '1MiB': trailing characters 'iB'");
	check_err("1MM", 'B', "invalid size '1MM': trailing characters 'M'");
	check_err("1 M", 'B', "invalid size '1 M': trailing characters ' M'");
	check_err("12,5", 'B', "invalid size '12,5': trailing characters ',5'");
	check_err("1", 'X', "invalid size '1': bad default suffix 'X'");
}

static void test_overflow(void)
{
	check_err("18446744073709551616", 'B',
		  "size '18446744073709551616' "
		  "is out of range (must be below 2^64)");
	check_err("99999999999999999999999", 'B',
		  "size "
		  "'99999999999999999999999' is out of range "
		  "(must be below 2^64)");
	/* the number fits, its scaling to bytes does not */
	check_err("16E", 'B',
		  "size '16E' overflows 64 bits when scaled to bytes "
		  "(it must be below 16 EiB)");
	check_err("99999999999T", 'B',
		  "size '99999999999T' overflows 64 bits when scaled to "
		  "bytes (it must be below 16 EiB)");
	check_err("17592186044416", 'M',
		  "size '17592186044416' overflows 64 bits when scaled to "
		  "bytes: a number without a suffix is in MiB here, so it "
		  "must be below 17592186044416");
	check_err("18446744073709551615", 'M',
		  "size '18446744073709551615' overflows 64 bits when scaled "
		  "to bytes: a number without a suffix is in MiB here, so it "
		  "must be below 17592186044416");
	check_err("4503599627370496", 'G',
		  "size '4503599627370496' overflows 64 bits when scaled to "
		  "bytes: a number without a suffix is in GiB here, so it "
		  "must be below 17179869184");
	check_ok("17592186044415", 'M', 17592186044415ULL * MiB);
	/* longer than 128 bits: must not wrap around */
	check_err("340282366920938463463374607431768211457", 'B',
		  "size "
		  "'340282366920938463463374607431768211457' is out of range "
		  "(must be below 2^64)");
	check_err("0x100000000000000000000000000000001", 'B',
		  "size "
		  "'0x100000000000000000000000000000001' is out of range "
		  "(must be below 2^64)");
	check_err("16.0E", 'B',
		  "size '16.0E' overflows 64 bits when scaled to bytes "
		  "(it must be below 16 EiB)");
}

static void check_str(uint64_t size, const char *want)
{
	g_autofree char *str = size_to_str(size);

	g_assert_cmpstr(str, ==, want);
}

static void test_to_str(void)
{
	check_str(0, "0 B");
	check_str(1, "1 B");
	check_str(1023, "1023 B");
	check_str(1536, "1536 B");
	check_str(4096, "4 KiB");
	check_str(4097 * KiB, "4097 KiB");
	check_str(512 * MiB, "512 MiB");
	check_str(2 * GiB, "2 GiB");
	check_str(3 * TiB, "3 TiB");
	check_str(5 * PiB, "5 PiB");
	check_str(8 * EiB, "8 EiB");
	/* not exact in a short form: two truncated decimals */
	check_str(MiB - 1, "1023.99 KiB");
	check_str(GiB + 1, "1.00 GiB");
	check_str(GiB + GiB / 2 + 1, "1.50 GiB");
	check_str(UINT64_MAX, "15.99 EiB");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/size/plain", test_plain);
	g_test_add_func("/size/suffixes", test_suffixes);
	g_test_add_func("/size/hex", test_hex);
	g_test_add_func("/size/fraction", test_fraction);
	g_test_add_func("/size/invalid", test_invalid);
	g_test_add_func("/size/overflow", test_overflow);
	g_test_add_func("/size/to-str", test_to_str);
	return g_test_run();
}
