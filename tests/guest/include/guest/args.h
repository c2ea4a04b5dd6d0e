/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The -append string as "key=value key2=value2 flag ..." (space
 * separated, no quoting; the last occurrence of a key wins).  Parsed on
 * first use from boot_info->cmdline_gpa into a private copy.
 * A malformed value fails the program with GUEST_ASSERT.
 */
#ifndef GUEST_ARGS_H
#define GUEST_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/* The whole -append string ("" when none). */
const char *args_cmdline(void);
/* Value of @key, "" for a bare "key", NULL when absent. */
const char *arg_get_str(const char *key);
/* Decimal or 0x hex with optional K/M/G/T suffix (powers of 1024). */
uint64_t arg_get_u64(const char *key, uint64_t def);
/* on/off, yes/no, true/false, 1/0; a bare "key" means true. */
bool arg_get_bool(const char *key, bool def);
/* Parse a number as arg_get_u64 does; false if malformed. */
bool args_parse_u64(const char *str, uint64_t *out);

#endif
