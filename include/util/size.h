/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UTIL_SIZE_H
#define UTIL_SIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * Parse a size the way QEMU does: a number (decimal, or 0x hex without a
 * fraction) with an optional suffix B, K/k, M/m, G/g, T/t, P/p, E/e (powers of
 * 1024).  @default_suffix applies to bare numbers ('M' for -m, 'B' for
 * size=).  Fractions are allowed with a suffix ("1.5G").  Rejects empty
 * strings, trailing garbage, negative numbers and overflow.
 */
bool size_parse(const char *str, char default_suffix, uint64_t *out,
		GError **errp);

/* "512 MiB", "2 GiB", "4096 B": for messages. Caller frees. */
char *size_to_str(uint64_t size);

#endif
