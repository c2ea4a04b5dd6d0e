/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Halt: every CPU halts in ring 0 with interrupts off, without GUEST_DONE.
 * Nothing can wake it (no interrupt controller), so kvmage must report a
 * stuck guest (exit 1, naming the RIP) rather than a success.
 */
#include "guest/crt.h"
#include "guest/ucall.h"

void guest_ring0_hook(int cpu)
{
	asm volatile("cli\n\thlt");
}

int guest_main(void)
{
	GUEST_FAIL("ran past hlt with interrupts off");
}
