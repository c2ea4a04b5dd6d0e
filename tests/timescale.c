/* SPDX-License-Identifier: GPL-2.0-or-later */
/* KVMAGE_TEST_TIME_SCALE for the tests (see timescale.h). */
#include <math.h> /* isfinite(): a macro, no libm */
#include <stdio.h>
#include <stdlib.h>

#include "timescale.h"

#define TIMESCALE_MAX	 1000.0
#define TIMESCALE_MS_MAX (1ULL << 40) /* 35 years: no overflow in us */

bool timescale_parse(const char *s, double *out, char **msg)
{
	char *end;
	double v;

	if (!s || !*s) {
		*out = 1;
		return true;
	}
	v = g_ascii_strtod(s, &end);
	if (end == s || *end || !isfinite(v) || v <= 0 || v > TIMESCALE_MAX) {
		*msg = g_strdup_printf("%s=%s: expected a number above 0 and "
				       "at most %g (default 1)",
				       TIMESCALE_ENV, s, TIMESCALE_MAX);
		return false;
	}
	*out = v;
	return true;
}

double timescale_factor(void)
{
	static gsize once;
	static double factor;

	if (g_once_init_enter(&once)) {
		g_autofree char *msg = NULL;

		if (!timescale_parse(g_getenv(TIMESCALE_ENV), &factor, &msg)) {
			fprintf(stderr, "%s\n", msg);
			exit(1);
		}
		g_once_init_leave(&once, 1);
	}
	return factor;
}

/* @v rounded up, at most @max. */
static uint64_t timescale_round(double v, uint64_t max)
{
	uint64_t u;

	if (v >= (double)max)
		return max;
	u = (uint64_t)v;
	return u < v ? u + 1 : u;
}

uint64_t timescale_ms(uint64_t ms)
{
	return timescale_round(ms * timescale_factor(), TIMESCALE_MS_MAX);
}

int64_t timescale_us(int64_t us)
{
	if (us <= 0)
		return 0;
	return timescale_round(us * timescale_factor(),
			       TIMESCALE_MS_MAX * 1000);
}

int64_t timescale_deadline(uint64_t ms)
{
	return g_get_monotonic_time() + (int64_t)timescale_ms(ms) * 1000;
}

void timescale_sleep_ms(uint64_t ms)
{
	g_usleep(timescale_ms(ms) * 1000);
}
