/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port I/O, time stamp counter and barriers for guest programs.  Port I/O
 * works in ring 3 because the crt runs user code with IOPL=3.
 */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t val)
{
	asm volatile("outl %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

/* Unordered: cheap enough for inner loops. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Waits for earlier instructions to finish; @aux gets IA32_TSC_AUX. */
static inline uint64_t rdtscp(uint32_t *aux)
{
	uint32_t lo, hi, c;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c) : : "memory");
	if (aux)
		*aux = c;
	return ((uint64_t)hi << 32) | lo;
}

/* rdtsc that later instructions cannot pass and earlier ones must finish. */
static inline uint64_t rdtsc_ordered(void)
{
	uint64_t t;

	asm volatile("lfence" : : : "memory");
	t = rdtsc();
	asm volatile("lfence" : : : "memory");
	return t;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

#define barrier()	asm volatile("" : : : "memory")
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif
