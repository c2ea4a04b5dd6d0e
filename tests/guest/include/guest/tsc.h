/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Time from the TSC.  The frequency comes from boot_info->tsc_khz; when it
 * is 0 no conversion to time is possible and callers report raw cycles.
 */
#ifndef GUEST_TSC_H
#define GUEST_TSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/io.h"

uint64_t tsc_khz(void); /* 0 when unknown */
/* Nanoseconds in @cycles, 0 when the frequency is unknown. */
uint64_t tsc_to_ns(uint64_t cycles);
/*
 * Format @num / @den with two decimals into @buf ("12.34"); "na" when
 * @den is 0.  Returns @buf.
 */
char *fmt_ratio(char *buf, size_t size, uint64_t num, uint64_t den);
/* Nanoseconds of @cycles / @count like fmt_ratio; "na" if unknown. */
char *fmt_ns_per(char *buf, size_t size, uint64_t cycles, uint64_t count);
/* Cycles in @ms milliseconds; assumes 3 GHz when the frequency is unknown. */
uint64_t tsc_ms_to_cycles(uint64_t ms);

#endif
