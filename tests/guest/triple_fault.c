/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Triple fault: in ring 0, load an IDT with limit 0 and execute ud2.
 * #UD cannot be delivered, nor can the #DF that follows: the CPU shuts
 * down (KVM_EXIT_SHUTDOWN).  Only CPU 0 does it.
 */
#include "guest/crt.h"
#include "guest/ucall.h"

void guest_ring0_hook(int cpu)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} empty_idt = { 0, 0 };

	if (cpu != 0)
		return;
	asm volatile("lidt %0\n\tud2" : : "m"(empty_idt));
}

int guest_main(void)
{
	GUEST_FAIL("survived a triple fault");
}
