/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Polling 8250 driver for COM1: wait for LSR.THRE, then write THR.
 * Output of one call (puts, printf) is not interleaved with other CPUs.
 */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include <stdarg.h>

#include "kvmage/guest-abi.h"

void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s); /* no newline added */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

#endif
