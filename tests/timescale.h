/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one knob for slow hosts: KVMAGE_TEST_TIME_SCALE (default 1), a
 * positive number that multiplies every wait of the test suites.  Waits
 * are written as what is enough on the development host (PVM, light
 * load); a lane where guest ring 0 is emulated, or a loaded machine,
 * sets e.g. KVMAGE_TEST_TIME_SCALE=20, and `make check` passes the same
 * factor to meson as --timeout-multiplier.  docs/devel/testing.rst
 * describes it.
 *
 * Scaled: deadlines and time-outs (how long to wait for something before
 * failing), and sleeps that give the guest or a thread time to do, or to
 * wrongly do, something.  Not scaled: poll periods inside a scaled
 * deadline, and sleeps that let a time kvmage itself defines pass (an
 * aging interval, an age threshold) where a longer sleep would change
 * what the test checks; those say so where they are.
 *
 * Test code only: kvmage never reads the variable.  Safe from any thread.
 */
#ifndef TESTS_TIMESCALE_H
#define TESTS_TIMESCALE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define TIMESCALE_ENV "KVMAGE_TEST_TIME_SCALE"

/*
 * Parse @s as a scale: a finite number > 0 and at most 1000 (NULL or ""
 * means 1).  False with a one-line message in *@msg (g_free it) if not.
 */
bool timescale_parse(const char *s, double *out, char **msg);
/*
 * The factor from the environment, parsed once.  A bad value ends the
 * program with status 1 and the message on standard error: a typo must
 * not quietly run the tests with other waits than asked for.
 */
double timescale_factor(void);
/* @ms of this host's milliseconds, scaled (rounded up, saturated). */
uint64_t timescale_ms(uint64_t ms);
/* The same in microseconds. */
int64_t timescale_us(int64_t us);
/* g_get_monotonic_time() value @ms scaled milliseconds from now. */
int64_t timescale_deadline(uint64_t ms);
/* Sleep @ms scaled milliseconds. */
void timescale_sleep_ms(uint64_t ms);

#endif
