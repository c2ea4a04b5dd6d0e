/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Polling 8250 driver for COM1, as a real one would be: program 115200
 * 8N1 once, then for every byte wait for the transmitter holding register
 * to be empty (LSR bit 5) before writing it.  Runs in ring 3, so it uses
 * the UART's MMIO window (one byte per register) rather than its ports.
 *
 * Locking: serial_lock serialises whole calls between CPUs.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest/io.h"
#include "guest/serial.h"
#include "guest/string.h"

#define UART_THR 0 /* transmit holding (DLAB 0) */
#define UART_DLL 0 /* divisor low (DLAB 1) */
#define UART_IER 1 /* interrupt enable (DLAB 0) */
#define UART_DLM 1 /* divisor high (DLAB 1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */

#define LCR_8N1	    0x03
#define LCR_DLAB    0x80
#define FCR_ENABLE  0x07 /* enable and clear both FIFOs */
#define MCR_DTR_RTS 0x03
#define LSR_THRE    0x20

static int serial_lock;

static void uart_write(unsigned int reg, uint8_t val)
{
	mmio_write8(COM1_MMIO_GPA + reg, val);
}

static uint8_t uart_read(unsigned int reg)
{
	return mmio_read8(COM1_MMIO_GPA + reg);
}

static void serial_acquire(void)
{
	while (__atomic_exchange_n(&serial_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void serial_release(void)
{
	__atomic_store_n(&serial_lock, 0, __ATOMIC_RELEASE);
}

/* Called by CPU 0 before guest_main(). */
void serial_init(void)
{
	uart_write(UART_IER, 0);
	uart_write(UART_LCR, LCR_DLAB);
	uart_write(UART_DLL, 1); /* 115200 baud */
	uart_write(UART_DLM, 0);
	uart_write(UART_LCR, LCR_8N1);
	uart_write(UART_FCR, FCR_ENABLE);
	uart_write(UART_MCR, MCR_DTR_RTS);
}

/* Caller holds serial_lock. */
static void serial_tx(char c)
{
	while (!(uart_read(UART_LSR) & LSR_THRE))
		cpu_relax();
	uart_write(UART_THR, c);
}

void serial_putc(char c)
{
	serial_acquire();
	serial_tx(c);
	serial_release();
}

void serial_puts(const char *s)
{
	serial_acquire();
	while (*s)
		serial_tx(*s++);
	serial_release();
}

static void serial_sink(void *opaque, char c)
{
	serial_tx(c);
}

int vprintf(const char *fmt, va_list ap)
{
	int n;

	serial_acquire();
	n = vformat(serial_sink, NULL, fmt, ap);
	serial_release();
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
