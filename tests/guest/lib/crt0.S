/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Entry point and exception stubs of the guest programs.  Ring-0 code is
 * slow on hosts that emulate it, so it stays a handful of instructions:
 * load the IDT register, read CPUID, run the optional ring-0 hook, iretq
 * to ring 3.
 * crt.c checks that the constants below match kvmage/guest-abi.h.
 */

#define USER_CS		0x23	/* GDT_USER_CS | 3 */
#define USER_DS		0x1b	/* GDT_USER_DS | 3 */
#define USER_RFLAGS	0x3002	/* IOPL 3, interrupts off */
#define MAX_VCPUS	32	/* BOOT_MAX_VCPUS */
#define STACK_SHIFT	16	/* GUEST_USER_STACK_SIZE = 64 KiB */
#define NR_VECTORS	32

	.section .text.entry, "ax"
	.globl	_start
	.type	_start, @function
/* RDI = boot_info gpa, RSI = cpu index, RSP = ring-0 stack, CPL 0. */
_start:
	cmp	$MAX_VCPUS, %rsi
	jae	.Lstop
	/* Secondaries with nothing to run halt here, costing no host CPU. */
	test	%rsi, %rsi
	jz	1f
	mov	$guest_secondary, %eax
	test	%eax, %eax
	jz	.Lstop
1:
	and	$-16, %rsp
	lidt	guest_idt_desc(%rip)
	mov	%rdi, %r12
	mov	%rsi, %r13
	/* CPUID in ring 0: ring 3 sees the host's on PVM (guest/cpuid.h). */
	call	guest_cpuid_probe
	mov	%r13d, %edi
	call	guest_ring0_hook
	mov	$USER_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	lea	1(%r13), %rax
	shl	$STACK_SHIFT, %rax
	add	$guest_user_stacks, %rax
	push	$USER_DS
	push	%rax
	push	$USER_RFLAGS
	push	$USER_CS
	push	$user_entry
	mov	%r13, %rdi
	mov	%r12, %rsi
	iretq
.Lstop:
	cli
	hlt
	jmp	.Lstop
	.size	_start, . - _start

/* Ring 3, RDI = cpu, RSI = boot_info, RSP 16-byte aligned. */
	.type	user_entry, @function
user_entry:
	xor	%ebp, %ebp
	call	guest_user_start
	ud2
	.size	user_entry, . - user_entry

/* Vectors that push an error code: 8 10 11 12 13 14 17 21 29 30. */
#define ERRCODE_MASK	((1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | \
			 (1 << 13) | (1 << 14) | (1 << 17) | (1 << 21) | \
			 (1 << 29) | (1 << 30))

	.text
	.macro	isr vec
	.align	16
isr_\vec:
	.if	((ERRCODE_MASK >> \vec) & 1) == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	isr_common
	.endm

	.altmacro
	.set	vec, 0
	.rept	NR_VECTORS
	isr	%vec
	.set	vec, vec + 1
	.endr

/* Frame: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
isr_common:
	mov	%rsp, %rdi
	mov	%cr2, %rsi
	xor	%edx, %edx
	str	%dx
	and	$-16, %rsp
	call	guest_exception
1:	cli
	hlt
	jmp	1b

	.macro	isr_addr vec
	.quad	isr_\vec
	.endm

	.weak	guest_secondary

	.section .rodata
	.align	8
	.globl	guest_isr_table
guest_isr_table:
	.set	vec, 0
	.rept	NR_VECTORS
	isr_addr %vec
	.set	vec, vec + 1
	.endr

	.align	16
	.globl	guest_idt_desc
guest_idt_desc:
	.word	NR_VECTORS * 16 - 1
	.quad	guest_idt

	.section .note.GNU-stack, "", @progbits
