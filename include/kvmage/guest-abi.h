/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The contract between kvmage and the freestanding guest programs in
 * tests/guest/.  Included by both sides: plain C, <stdint.h> only.
 *
 * Boot state (set up by hw/x86/boot.c before the first KVM_RUN):
 *  - every vCPU starts in 64-bit long mode at CPL 0 at the ELF entry point,
 *    interrupts disabled (RFLAGS = 0x2), RDI = BOOT_INFO_GPA, RSI = vCPU
 *    index, RSP = top of that vCPU's ring-0 stack;
 *  - paging: guest-physical memory is identity mapped with 2 MiB pages up
 *    to the top of RAM (at least 4 GiB), every entry Present|RW|User;
 *  - GDT at BOOT_GDT_GPA with the selectors below, TR loaded with the
 *    vCPU's TSS whose RSP0 is the same ring-0 stack;
 *  - the guest installs its own IDT and drops to ring 3 with IOPL=3;
 *  - the ELF loader zeroes every PT_LOAD's bss (p_memsz beyond p_filesz);
 *  - CR4.TSD is clear (ring 3 may use RDTSC) and CPUID passes through what
 *    KVM supports (RDTSCP included where the host has it);
 *  - guest RAM is [0, min(ram_size, 3 GiB)) and, for larger guests,
 *    [4 GiB, 4 GiB + ram_size - 3 GiB): the 3-4 GiB hole holds MMIO.
 */
#ifndef KVMAGE_GUEST_ABI_H
#define KVMAGE_GUEST_ABI_H

#include <stdint.h>

/* Low guest-physical memory owned by the VMM: the guest image loads above. */
#define BOOT_GDT_GPA	   0x1000ULL
#define BOOT_TSS_GPA	   0x2000ULL /* BOOT_TSS_SIZE bytes per vCPU */
#define BOOT_TSS_SIZE	   128ULL
#define BOOT_INFO_GPA	   0x7000ULL
#define BOOT_CMDLINE_GPA   0x8000ULL
#define BOOT_CMDLINE_MAX   4096ULL
#define BOOT_STACK_GPA	   0x10000ULL /* ring-0 stacks, BOOT_STACK_SIZE each */
#define BOOT_STACK_SIZE	   0x4000ULL
#define BOOT_MAX_VCPUS	   32U
#define BOOT_PGTABLE_GPA   0x100000ULL /* PML4, PDPT, then PDs */
#define BOOT_PGTABLE_END   0x400000ULL
#define BOOT_IMAGE_MIN_GPA 0x400000ULL /* lowest address a PT_LOAD may use */

/* GDT selectors. */
#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_USER_DS   0x18 /* use with RPL 3: 0x1b */
#define GDT_USER_CS   0x20 /* use with RPL 3: 0x23 */
#define GDT_TSS(cpu)  (0x28 + 16 * (cpu))

#define BOOT_INFO_MAGIC 0x6b766d6167656231ULL /* "kvmageb1" */

struct boot_info {
	uint64_t magic;
	uint32_t nr_cpus;
	uint32_t cmdline_len; /* bytes, without the NUL */
	uint64_t ram_size;    /* bytes of guest RAM */
	uint64_t ram_top;     /* highest guest-physical RAM address + 1 */
	uint64_t cmdline_gpa; /* NUL-terminated -append string */
	uint64_t tsc_khz;     /* 0 when unknown */
};

/*
 * Devices.  On this project's reference host (KVM with the PVM backend) a
 * ring-3 guest runs with the hardware IOPL forced to 0 and no I/O bitmap,
 * so port I/O from ring 3 raises #GP whatever RFLAGS.IOPL the guest sets
 * (measured).  Every device is therefore reachable both through ports (for
 * ring-0 code) and through MMIO in the 3-4 GiB hole (for ring-3 code; the
 * identity map covers it with the User bit).  Exceptions taken in ring 3 do
 * reach the guest IDT; a software `int $0x80` from ring 3 does not on that
 * host (triple fault), so ring-3 code must not rely on it.
 */
#define COM1_PORT  0x3f8 /* 8250 UART, 8 registers */
#define UCALL_PORT 0xe0	 /* outl(gpa of struct ucall) */
#define EXIT_PORT  0xf4	 /* outb(status): kvmage exits with it */

#define KVMAGE_MMIO_BASE 0xd0000000ULL
#define UCALL_MMIO_GPA	 0xd0000000ULL /* 4/8-byte write: gpa of ucall */
#define EXIT_MMIO_GPA	 0xd0000008ULL /* 1-byte write: exit status */
#define COM1_MMIO_GPA	 0xd0001000ULL /* the same 8250, 1-byte regs */

/*
 * ucall: the guest fills a struct ucall in its own memory and writes its
 * guest-physical address with one store to UCALL_MMIO_GPA (ring 3) or one
 * 32-bit OUT to UCALL_PORT (ring 0).  kvmage
 * handles it synchronously in the vCPU thread and writes @ret back before
 * the guest resumes.
 */
enum ucall_cmd {
	UCALL_NONE,
	UCALL_SYNC,   /* args[0] = stage, args[1..] free; ret = host's count */
	UCALL_ASSERT, /* buf = "file:line: expression: message" */
	UCALL_PRINTF, /* buf = text to print on kvmage's stdout */
	UCALL_DONE,   /* args[0] = exit status */
	UCALL_EXCEPTION, /* args[0] = vector, [1] = error code, [2] = RIP, [3] = CR2 */
	UCALL_REPORT, /* buf = "key=value ..." result line for the host */
	UCALL_MAX,
};

#define UCALL_NR_ARGS  6
#define UCALL_BUF_SIZE 1024

struct ucall {
	uint64_t cmd;
	uint64_t cpu;
	uint64_t args[UCALL_NR_ARGS];
	uint64_t ret;
	char buf[UCALL_BUF_SIZE];
};

#endif
