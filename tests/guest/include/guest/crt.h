/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest C runtime (lib/crt0.S, lib/crt.c).
 *
 * Every vCPU enters _start at CPL 0 (see kvmage/guest-abi.h).  The crt
 * loads the shared IDT register, reads CPUID (guest/cpuid.h), calls
 * guest_ring0_hook(), then drops to
 * ring 3 (CS 0x23, SS/DS/ES 0x1b, RFLAGS 0x3002: IOPL 3, interrupts off)
 * on a per-CPU user stack.  Some hosts (PVM) ignore IOPL and IF there, so
 * ring-3 code uses MMIO for devices and must not count on IF=0.  In
 * ring 3 each CPU fills the IDT (identical values, so the writes of
 * several CPUs cannot conflict), then:
 *   - CPU 0 fails the program if CPUID announces no TSC, sets up the
 *     serial port and calls guest_main(); its return value is passed to
 *     guest_exit();
 *   - every other CPU calls guest_secondary(cpu) if the program has one
 *     and, if that returns, spins on pause forever (ring 3 cannot halt);
 *     without guest_secondary() they halt at once in ring 0.
 * The program ends when some CPU (normally CPU 0) calls guest_exit().
 * Exceptions 0-31 are reported with UCALL_EXCEPTION and stop the CPU.
 */
#ifndef GUEST_CRT_H
#define GUEST_CRT_H

#include <stdbool.h>
#include <stdint.h>

#include "kvmage/guest-abi.h"

#define GUEST_USER_STACK_SIZE 0x10000UL

/* Provided by the program. */
int guest_main(void);

/*
 * Optional.  Without guest_secondary() the other CPUs halt in ring 0 with
 * interrupts off (cli; hlt) before doing anything else, so idle vCPUs
 * cost no host CPU; kvmage sees KVM_EXIT_HLT for them.
 */
void guest_secondary(int cpu) __attribute__((weak));
/*
 * Optional (the crt's weak default does nothing).  Runs at CPL 0 on every
 * CPU that goes on to ring 3, before the drop, with the IDT register
 * loaded but the IDT still empty: an exception here triple faults.  Every
 * instruction here is slow on some hosts (emulated): keep it tiny.
 */
void guest_ring0_hook(int cpu);

/* Valid in ring 3 on every CPU. */
const struct boot_info *guest_boot_info(void);
unsigned int guest_nr_cpus(void);

/* Index of the calling CPU, derived from the user stack it runs on. */
static inline unsigned int guest_cpu(void)
{
	extern char guest_user_stacks[];
	uintptr_t sp;

	asm volatile("mov %%rsp, %0" : "=r"(sp));
	sp -= (uintptr_t)guest_user_stacks;
	if (sp >= BOOT_MAX_VCPUS * GUEST_USER_STACK_SIZE)
		return 0;
	return sp / GUEST_USER_STACK_SIZE;
}

/* Spin on pause forever. */
void __attribute__((noreturn)) guest_park(void);

/* First byte after the loaded image (including .bss and user stacks). */
uintptr_t guest_image_end(void);

#endif
