/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keeps state in registers across a host-side vCPU state save/clobber/
 * restore.  -append: ms=N (1500), guest TSC milliseconds to spin.
 * SYNC 1 just before the spin; the spin holds patterns in rbx, r12-r15,
 * two x87 stack registers and xmm0/xmm1 (SSE2 is architectural on x86-64
 * and kvmage sets CR4.OSFXSR), checks that every rdtsc is >= the last one
 * and the GPRs are intact on each iteration, then the FPU/SSE values.
 * REPORT iters= backwards=0; exit 0.
 */
#include "guest/args.h"
#include "guest/crt.h"
#include "guest/tsc.h"
#include "guest/ucall.h"

static const uint64_t pat[12] = {
	0x1111111111111111ull, 0x8888888888888888ull, 0x9999999999999999ull,
	0xaaaaaaaaaaaaaaaaull, 0xbbbbbbbbbbbbbbbbull, 0xccccccccccccccccull,
	0xddddddddddddddddull, 0xeeeeeeeeeeeeeeeeull, 0xfeedfacecafebeefull,
	0x3ff8000000000000ull, /* 1.5 */
	0x400c000000000000ull, /* 3.5 */
	0x0123456789abcdefull,
};

int guest_main(void)
{
	uint64_t deadline = rdtsc() + tsc_ms_to_cycles(arg_get_u64("ms", 1500));
	uint64_t out[4] = { 0 };
	uint64_t status, iters = 0, last = 0;

	GUEST_SYNC(1);
	asm volatile("fninit\n\t"
		     "fldl 72(%[p])\n\t" /* st1 = 1.5 */
		     "fldl 80(%[p])\n\t" /* st0 = 3.5 */
		     "movq 88(%[p]), %%xmm0\n\t"
		     "movq 64(%[p]), %%xmm1\n\t"
		     "mov 0(%[p]), %%rbx\n\t"
		     "mov 40(%[p]), %%r12\n\t"
		     "mov 48(%[p]), %%r13\n\t"
		     "mov 56(%[p]), %%r14\n\t"
		     "mov 64(%[p]), %%r15\n\t"
		     "xor %[st], %[st]\n"
		     "1:\n\t"
		     "rdtsc\n\t"
		     "shl $32, %%rdx\n\t"
		     "or %%rdx, %%rax\n\t"
		     "cmp %[last], %%rax\n\t"
		     "jb 8f\n\t"
		     "mov %%rax, %[last]\n\t"
		     "inc %[it]\n\t"
		     "cmp 0(%[p]), %%rbx\n\t jne 9f\n\t"
		     "cmp 40(%[p]), %%r12\n\t jne 9f\n\t"
		     "cmp 48(%[p]), %%r13\n\t jne 9f\n\t"
		     "cmp 56(%[p]), %%r14\n\t jne 9f\n\t"
		     "cmp 64(%[p]), %%r15\n\t jne 9f\n\t"
		     "cmp %[dl], %%rax\n\t"
		     "jb 1b\n\t"
		     "jmp 7f\n"
		     "8: mov $1, %[st]\n\t jmp 7f\n"
		     "9: mov $2, %[st]\n"
		     "7:\n\t"
		     "fstpl 0(%[f])\n\t"
		     "fstpl 8(%[f])\n\t"
		     "movq %%xmm0, 16(%[f])\n\t"
		     "movq %%xmm1, 24(%[f])\n\t"
		     : [st] "=&r"(status), [it] "+r"(iters), [last] "+r"(last)
		     : [p] "r"(pat), [dl] "r"(deadline), [f] "r"(out)
		     : "rax", "rbx", "rdx", "r12", "r13", "r14", "r15",
		       "memory", "cc");
	GUEST_ASSERT_MSG(status != 1, "rdtsc went backwards below %lu", last);
	GUEST_ASSERT_MSG(status != 2, "a GPR lost its value after %lu iters",
			 iters);
	GUEST_ASSERT_EQ(out[0], pat[10]);
	GUEST_ASSERT_EQ(out[1], pat[9]);
	GUEST_ASSERT_EQ(out[2], pat[11]);
	GUEST_ASSERT_EQ(out[3], pat[8]);
	GUEST_REPORT("iters=%lu backwards=0", iters);
	GUEST_DONE();
}
