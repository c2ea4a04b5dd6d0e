/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * C side of the guest runtime: IDT contents, the ring-3 start path and the
 * ring-0 exception reporter.  See guest/crt.h for the boot sequence.
 */
#include <stddef.h>
#include <stdint.h>

#include "guest/cpuid.h"
#include "guest/crt.h"
#include "guest/io.h"
#include "guest/serial.h"
#include "guest/ucall.h"

#define IDT_VECTORS 32

/* Must match the constants in crt0.S. */
_Static_assert((GDT_USER_CS | 3) == 0x23, "crt0.S USER_CS");
_Static_assert((GDT_USER_DS | 3) == 0x1b, "crt0.S USER_DS");
_Static_assert(BOOT_MAX_VCPUS == 32, "crt0.S MAX_VCPUS");
_Static_assert(GUEST_USER_STACK_SIZE == 1UL << 16, "crt0.S STACK_SHIFT");

struct idt_entry {
	uint64_t lo;
	uint64_t hi;
};

extern const uint64_t guest_isr_table[IDT_VECTORS];
extern char _end[];
extern struct ucall guest_ucalls[BOOT_MAX_VCPUS];

/* Loaded by every CPU in ring 0 (crt0.S), filled by every CPU in ring 3. */
struct idt_entry guest_idt[IDT_VECTORS] __attribute__((aligned(16)));

char guest_user_stacks[BOOT_MAX_VCPUS * GUEST_USER_STACK_SIZE]
	__attribute__((aligned(4096), section(".bss.stacks")));

/* Written with the same value by every CPU before its first use. */
static const struct boot_info *boot_info;

void __attribute__((weak)) guest_ring0_hook(int cpu)
{
}

const struct boot_info *guest_boot_info(void)
{
	return READ_ONCE(boot_info);
}

unsigned int guest_nr_cpus(void)
{
	return guest_boot_info()->nr_cpus;
}

uintptr_t guest_image_end(void)
{
	return (uintptr_t)_end;
}

void guest_park(void)
{
	for (;;)
		cpu_relax();
}

/*
 * 64-bit interrupt gates, DPL 0, kernel CS, no IST.  Every CPU stores the
 * same values, so concurrent fills never expose a wrong entry.
 */
static void idt_fill(void)
{
	for (int i = 0; i < IDT_VECTORS; i++) {
		uint64_t h = guest_isr_table[i];
		uint64_t lo = (h & 0xffff) | ((uint64_t)GDT_KERNEL_CS << 16) |
			      (0x8eULL << 40) | ((h >> 16 & 0xffff) << 48);

		WRITE_ONCE(guest_idt[i].lo, lo);
		WRITE_ONCE(guest_idt[i].hi, h >> 32);
	}
}

/* Ring 3, called from crt0.S on the CPU's user stack. */
void __attribute__((noreturn, used))
guest_user_start(uint64_t cpu, const struct boot_info *bi)
{
	WRITE_ONCE(boot_info, bi);
	idt_fill();
	if (bi->magic != BOOT_INFO_MAGIC)
		GUEST_FAIL("bad boot_info magic %#lx at %p", bi->magic, bi);
	if (cpu == 0) {
		/* every program may time with rdtsc (guest/tsc.h) */
		if (!cpu_has(CPU_FEATURE_TSC))
			GUEST_FAIL("the CPU lacks tsc (CPUID 0x1 EDX bit 4 is "
				   "clear): guest programs need rdtsc");
		serial_init();
		guest_exit(guest_main());
	}
	if (guest_secondary) /* always set: crt0.S halts the others */
		guest_secondary(cpu);
	guest_park();
}

/*
 * Ring 0, interrupts off, on the CPU's ring-0 stack.  @frame holds the
 * vector, the error code (0 if none) and the CPU's exception frame; @tr is
 * the task register, which identifies the CPU.  The CPU's ucall struct
 * may be half written by the interrupted code: it is simply overwritten.
 */
void __attribute__((used))
guest_exception(const uint64_t *frame, uint64_t cr2, uint64_t tr)
{
	uint64_t cpu = (tr - GDT_TSS(0)) / 16;
	struct ucall *uc;

	if (tr < GDT_TSS(0) || cpu >= BOOT_MAX_VCPUS)
		cpu = 0;
	uc = &guest_ucalls[cpu];
	uc->cmd = UCALL_EXCEPTION;
	uc->cpu = cpu;
	uc->args[0] = frame[0]; /* vector */
	uc->args[1] = frame[1]; /* error code */
	uc->args[2] = frame[2]; /* RIP */
	uc->args[3] = cr2;
	uc->args[4] = frame[3]; /* CS: tells the ring */
	uc->args[5] = frame[5]; /* RSP */
	uc->ret = 0;
	uc->buf[0] = '\0';
	outl(UCALL_PORT, (uint32_t)(uintptr_t)uc);
}
