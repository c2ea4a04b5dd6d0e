/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TSC to time conversions; integer only (guests have no FPU state). */
#include <stdint.h>

#include "guest/crt.h"
#include "guest/string.h"
#include "guest/tsc.h"

uint64_t tsc_khz(void)
{
	return guest_boot_info()->tsc_khz;
}

/* @cycles * @mul / @div without overflow for any realistic input. */
static uint64_t scale(uint64_t cycles, uint64_t mul, uint64_t div)
{
	return cycles / div * mul + cycles % div * mul / div;
}

uint64_t tsc_to_ns(uint64_t cycles)
{
	uint64_t khz = tsc_khz();

	return khz ? scale(cycles, 1000000, khz) : 0;
}

uint64_t tsc_ms_to_cycles(uint64_t ms)
{
	uint64_t khz = tsc_khz();

	return ms * (khz ? khz : 3000000);
}

char *fmt_ratio(char *buf, size_t size, uint64_t num, uint64_t den)
{
	uint64_t x100;

	if (!den) {
		snprintf(buf, size, "na");
		return buf;
	}
	x100 = scale(num, 100, den);
	snprintf(buf, size, "%lu.%02lu", x100 / 100, x100 % 100);
	return buf;
}

char *fmt_ns_per(char *buf, size_t size, uint64_t cycles, uint64_t count)
{
	uint64_t khz = tsc_khz();

	if (!khz || !count) {
		snprintf(buf, size, "na");
		return buf;
	}
	/* ns/count = cycles * 10^6 / (khz * count): keep the hundredths */
	return fmt_ratio(buf, size, scale(cycles, 1000000, khz), count);
}
