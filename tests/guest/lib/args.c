/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -append parsing.  The first caller copies the command line and splits
 * it; later callers (any CPU) read the result.
 *
 * Locking: args_state goes 0 -> 1 (one CPU parsing) -> 2 (read-only);
 * CPUs that find 1 spin until 2.
 */
#include <stdbool.h>
#include <stdint.h>

#include "guest/args.h"
#include "guest/crt.h"
#include "guest/io.h"
#include "guest/string.h"
#include "guest/ucall.h"

#define ARGS_MAX 128

static int args_state;
static char args_line[BOOT_CMDLINE_MAX];
static char args_buf[BOOT_CMDLINE_MAX];
static const char *args_key[ARGS_MAX];
static const char *args_val[ARGS_MAX];
static unsigned int args_count;

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Caller owns args_state == 1. */
static void args_split(void)
{
	const struct boot_info *bi = guest_boot_info();
	uint64_t len = bi->cmdline_len;
	char *p, *eq;

	if (len >= BOOT_CMDLINE_MAX)
		len = BOOT_CMDLINE_MAX - 1;
	if (bi->cmdline_gpa && len)
		memcpy(args_line, (const char *)(uintptr_t)bi->cmdline_gpa,
		       len);
	args_line[len] = '\0';
	memcpy(args_buf, args_line, sizeof(args_buf));

	for (p = args_buf; *p && args_count < ARGS_MAX;) {
		while (is_space(*p))
			*p++ = '\0';
		if (!*p)
			break;
		args_key[args_count] = p;
		while (*p && !is_space(*p) && *p != '=')
			p++;
		eq = p;
		while (*p && !is_space(*p))
			p++;
		if (*p)
			*p++ = '\0';
		if (*eq == '=') {
			*eq = '\0';
			args_val[args_count] = eq + 1;
		} else {
			args_val[args_count] = eq; /* "" */
		}
		args_count++;
	}
}

static void args_init(void)
{
	int expected = 0;

	if (__atomic_load_n(&args_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&args_state, &expected, 1, false,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		args_split();
		__atomic_store_n(&args_state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&args_state, __ATOMIC_ACQUIRE) != 2)
		cpu_relax();
}

const char *args_cmdline(void)
{
	args_init();
	return args_line;
}

const char *arg_get_str(const char *key)
{
	const char *val = NULL;

	args_init();
	for (unsigned int i = 0; i < args_count; i++) {
		if (!strcmp(args_key[i], key))
			val = args_val[i];
	}
	return val;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static unsigned int suffix_shift(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 10;
	case 'm':
	case 'M':
		return 20;
	case 'g':
	case 'G':
		return 30;
	case 't':
	case 'T':
		return 40;
	default:
		return 0;
	}
}

bool args_parse_u64(const char *s, uint64_t *out)
{
	unsigned int base = 10, shift, ndigits = 0;
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; (d = digit_value(*s)) < (int)base; s++, ndigits++) {
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (!ndigits)
		return false;
	if (*s) {
		shift = suffix_shift(*s++);
		if (!shift || *s || v > UINT64_MAX >> shift)
			return false;
		v <<= shift;
	}
	*out = v;
	return true;
}

uint64_t arg_get_u64(const char *key, uint64_t def)
{
	const char *s = arg_get_str(key);
	uint64_t v;

	if (!s)
		return def;
	if (!args_parse_u64(s, &v))
		GUEST_FAIL("bad number for %s: '%s'", key, s);
	return v;
}

bool arg_get_bool(const char *key, bool def)
{
	static const char *const yes[] = { "", "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	const char *s = arg_get_str(key);

	if (!s)
		return def;
	for (unsigned int i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i]))
			return true;
	}
	for (unsigned int i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (!strcmp(s, no[i]))
			return false;
	}
	GUEST_FAIL("bad boolean for %s: '%s'", key, s);
}
