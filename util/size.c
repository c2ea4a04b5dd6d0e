/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sizes in QEMU's syntax: "512", "1G", "1.5g", "0x1000", "4k".
 *
 * The integer part is decimal (leading zeros are still decimal) or 0x hex.
 * A fraction is only allowed in decimal and only with an explicit suffix
 * larger than B, so "1.5" and "1.5B" are refused as QEMU 7.2 does for -m.
 * Arithmetic is exact (128-bit), fractions of a byte are truncated.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "util/error.h"
#include "util/size.h"

#define SIZE_FRAC_DIGITS 18 /* digits of a fraction that are significant */

static const char size_suffixes[] = "BKMGTPE";

/* Multiplier for suffix @c (case-insensitive), 0 if @c is not a suffix. */
static uint64_t size_suffix_mul(char c)
{
	const char *s;

	if (c == '\0')
		return 0;
	s = strchr(size_suffixes, g_ascii_toupper(c));
	if (!s)
		return 0;
	return 1ULL << (10 * (s - size_suffixes));
}

/* Parse hex digits after "0x" into @val; the end, or NULL on overflow. */
static const char *size_parse_hex(const char *p, unsigned __int128 *val)
{
	*val = 0;
	while (g_ascii_isxdigit(*p)) {
		*val = *val * 16 + g_ascii_xdigit_value(*p++);
		if (*val > UINT64_MAX)
			return NULL;
	}
	return p;
}

/* Parse decimal digits into @val; returns the end or NULL on overflow. */
static const char *size_parse_dec(const char *p, unsigned __int128 *val)
{
	*val = 0;
	while (g_ascii_isdigit(*p)) {
		*val = *val * 10 + (*p++ - '0');
		if (*val > UINT64_MAX)
			return NULL;
	}
	return p;
}

/*
 * Parse ".ddd" at @p: the significant digits go to @num, 10^digits to @den.
 * Returns the end, or NULL when no digit follows the dot.
 */
static const char *size_parse_frac(const char *p, uint64_t *num, uint64_t *den)
{
	const char *start = ++p;

	*num = 0;
	*den = 1;
	while (g_ascii_isdigit(*p)) {
		if (p - start < SIZE_FRAC_DIGITS) {
			*num = *num * 10 + (*p - '0');
			*den *= 10;
		}
		p++;
	}
	return p == start ? NULL : p;
}

/* Set "invalid size 'STR': reason". */
static void G_GNUC_PRINTF(3, 4)
	size_invalid(GError **errp, const char *str, const char *fmt, ...)
{
	g_autofree char *reason = NULL;
	va_list ap;

	va_start(ap, fmt);
	reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	error_setg(errp, "invalid size '%s': %s", str, reason);
}

/* A parsed number: val + num / den, and whether a fraction was written. */
typedef struct SizeNumber {
	unsigned __int128 val;
	uint64_t num, den;
	bool frac;
} SizeNumber;

/* Parse the number at the start of @str; *@end is set past it. */
static bool size_parse_number(const char *str, const char **end, SizeNumber *n,
			      GError **errp)
{
	const char *p = str;
	bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');

	n->num = 0;
	n->den = 1;
	n->frac = false;
	if (*p == '-') {
		size_invalid(errp, str, "sizes cannot be negative");
		return false;
	}
	if (!g_ascii_isdigit(*p)) {
		size_invalid(errp, str, "expected a number");
		return false;
	}
	if (hex && !g_ascii_isxdigit(p[2])) {
		size_invalid(errp, str, "expected hex digits after 0x");
		return false;
	}
	p = hex ? size_parse_hex(p + 2, &n->val) : size_parse_dec(p, &n->val);
	if (!p) {
		error_setg(errp,
			   "size '%s' is out of range "
			   "(must be below 2^64)",
			   str);
		return false;
	}
	if (*p == '.' && hex) {
		size_invalid(errp, str, "hex numbers cannot have a fraction");
		return false;
	}
	if (*p == '.') {
		p = size_parse_frac(p, &n->num, &n->den);
		if (!p) {
			size_invalid(errp, str, "expected digits after '.'");
			return false;
		}
		n->frac = true;
	}
	*end = p;
	return true;
}

/*
 * The number fits in 64 bits but not once multiplied by its unit @mul:
 * say so, and for a bare number which unit it was taken in ("-m 2^64-1"
 * is that many MiB).
 */
static void size_overflow(GError **errp, const char *str, bool explicit,
			  uint64_t mul)
{
	static const char *const units[] = { "B",   "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	unsigned shift = __builtin_ctzll(mul);

	if (explicit || !shift) {
		error_setg(errp,
			   "size '%s' overflows 64 bits when scaled to bytes "
			   "(it must be below 16 EiB)",
			   str);
		return;
	}
	error_setg(errp,
		   "size '%s' overflows 64 bits when scaled to bytes: a "
		   "number without a suffix is in %s here, so it must be "
		   "below %" G_GUINT64_FORMAT,
		   str, units[shift / 10], (uint64_t)1 << (64 - shift));
}

bool size_parse(const char *str, char default_suffix, uint64_t *out,
		GError **errp)
{
	unsigned __int128 total;
	const char *p;
	SizeNumber n;
	uint64_t mul;
	bool explicit;

	if (!str || !*str) {
		error_setg(errp, "invalid size '': empty string");
		return false;
	}
	if (!size_parse_number(str, &p, &n, errp))
		return false;

	mul = size_suffix_mul(*p);
	explicit = mul != 0;
	if (explicit) {
		p++;
	} else if (*p == '\0') {
		mul = size_suffix_mul(default_suffix);
	} else if (g_ascii_isalpha(*p)) {
		size_invalid(errp, str,
			     "unknown suffix '%c' "
			     "(use B, K, M, G, T, P or E)",
			     *p);
		return false;
	}
	if (*p != '\0') {
		size_invalid(errp, str, "trailing characters '%s'", p);
		return false;
	}
	if (!mul) {
		size_invalid(errp, str, "bad default suffix '%c'",
			     default_suffix);
		return false;
	}
	if (n.frac && (!explicit || mul == 1)) {
		size_invalid(errp, str,
			     "a fraction needs a suffix "
			     "K, M, G, T, P or E");
		return false;
	}

	total = n.val * mul + (unsigned __int128)n.num * mul / n.den;
	if (total > UINT64_MAX) {
		size_overflow(errp, str, explicit, mul);
		return false;
	}
	*out = (uint64_t)total;
	return true;
}

char *size_to_str(uint64_t size)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	unsigned i, big = 0, exact = 0;
	uint64_t hundredths;

	for (i = 1; i < G_N_ELEMENTS(units) && size >> (10 * i); i++) {
		big = i;
		if (size % (1ULL << (10 * i)) == 0)
			exact = i;
	}
	/* Exact when that stays short: "4097 KiB", "1536 B", "2 GiB". */
	if (exact == big || size >> (10 * exact) < 100000)
		return g_strdup_printf("%" G_GUINT64_FORMAT " %s",
				       size >> (10 * exact), units[exact]);
	/* Truncate rather than round: never print "1024.00 KiB". */
	hundredths = (uint64_t)((unsigned __int128)size * 100 >> (10 * big));
	return g_strdup_printf("%" G_GUINT64_FORMAT ".%02u %s",
			       hundredths / 100, (unsigned)(hundredths % 100),
			       units[big]);
}
