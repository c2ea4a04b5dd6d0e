/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port and MMIO access, time stamp counter and barriers for guest
 * programs.  Port I/O is for ring-0 code only: on the PVM host ring 3 runs
 * with IOPL forced to 0 whatever the crt sets, so ring-3 code reaches the
 * devices through their MMIO addresses (see kvmage/guest-abi.h).  MMIO
 * accessors are single plain MOVs, which every KVM MMIO path can decode.
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

static inline void mmio_write8(uint64_t gpa, uint8_t val)
{
	asm volatile("movb %0, (%1)" : : "q"(val), "r"(gpa) : "memory");
}

static inline void mmio_write32(uint64_t gpa, uint32_t val)
{
	asm volatile("movl %0, (%1)" : : "r"(val), "r"(gpa) : "memory");
}

static inline void mmio_write64(uint64_t gpa, uint64_t val)
{
	asm volatile("movq %0, (%1)" : : "r"(val), "r"(gpa) : "memory");
}

static inline uint8_t mmio_read8(uint64_t gpa)
{
	uint8_t val;

	asm volatile("movb (%1), %0" : "=q"(val) : "r"(gpa) : "memory");
	return val;
}

/*
 * Unordered: cheap enough for inner loops.  The crt has checked that the
 * CPU has a TSC (CPUID 0x1 EDX bit 4) before guest_main().
 */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * Waits for earlier instructions to finish; @aux gets IA32_TSC_AUX.
 * Optional: only after cpu_has(CPU_FEATURE_RDTSCP) (guest/cpuid.h).
 */
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

#define barrier()	 asm volatile("" : : : "memory")
#define READ_ONCE(x)	 (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif
