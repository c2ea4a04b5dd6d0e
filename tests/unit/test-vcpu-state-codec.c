/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vCPU state blob codec: round trip, every truncation, foreign and
 * other-version blobs, trailing bytes, bad part tables.
 */
#include <string.h>
#include <glib.h>

#include "accel/kvm-state.h"

static void fill(VcpuState *st, bool xsave)
{
	memset(st, 0, sizeof(*st));
	st->parts = 1u << VCPU_STATE_PART_REGS | 1u << VCPU_STATE_PART_SREGS2 |
		    1u << VCPU_STATE_PART_EVENTS | 1u << VCPU_STATE_PART_MSRS;
	st->regs.rip = 0x401000;
	st->regs.r15 = 0x0123456789abcdefull;
	st->sregs2.cr4 = 0x620;
	st->events.flags = 3;
	st->nr_msrs = 3;
	st->msrs = g_new0(struct kvm_msr_entry, 3);
	for (int i = 0; i < 3; i++) {
		st->msrs[i].index = 0xc0000080 + i;
		st->msrs[i].data = 0x1000ull * i + 7;
	}
	if (xsave) {
		st->parts |= 1u << VCPU_STATE_PART_XSAVE |
			     1u << VCPU_STATE_PART_XCRS;
		st->xsave_size = 4096 + 64;
		st->xsave = g_malloc0(st->xsave_size);
		memset(st->xsave, 0xa5, st->xsave_size);
		st->xcrs.nr_xcrs = 1;
	} else {
		st->parts |= 1u << VCPU_STATE_PART_FPU;
		st->fpu.fcw = 0x37f;
	}
}

static uint8_t *encode(const VcpuState *st, size_t *size)
{
	uint8_t *blob;

	*size = vcpu_state_size(st);
	blob = g_malloc(*size);
	g_assert_cmpuint(vcpu_state_encode(st, blob, *size), ==, *size);
	return blob;
}

static void test_roundtrip(void)
{
	for (int x = 0; x < 2; x++) {
		VcpuState st, out = { 0 };
		g_autoptr(GError) err = NULL;
		g_autofree uint8_t *blob = NULL, *again = NULL;
		size_t size, size2;

		fill(&st, x);
		blob = encode(&st, &size);
		g_assert_true(vcpu_state_decode(&out, blob, size, &err));
		g_assert_no_error(err);
		g_assert_cmphex(out.parts, ==, st.parts);
		g_assert_cmpmem(&out.regs, sizeof(out.regs), &st.regs,
				sizeof(st.regs));
		g_assert_cmpuint(out.nr_msrs, ==, 3);
		g_assert_cmphex(out.msrs[2].data, ==, 0x2007);
		again = encode(&out, &size2);
		g_assert_cmpmem(blob, size, again, size2);
		vcpu_state_clear(&st);
		vcpu_state_clear(&out);
	}
}

static void test_truncated(void)
{
	VcpuState st, out = { 0 };
	g_autofree uint8_t *blob = NULL;
	size_t size;

	fill(&st, true);
	blob = encode(&st, &size);
	for (size_t len = 0; len < size; len++) {
		g_autofree uint8_t *cut = g_memdup2(blob, len ? len : 1);
		GError *err = NULL;

		g_assert_false(vcpu_state_decode(&out, cut, len, &err));
		g_assert_nonnull(err);
		g_assert_cmphex(out.parts, ==, 0);
		g_error_free(err);
	}
	vcpu_state_clear(&st);
}

static void expect_fail(const uint8_t *blob, size_t size, const char *what)
{
	VcpuState out = { 0 };
	GError *err = NULL;

	g_assert_false(vcpu_state_decode(&out, blob, size, &err));
	g_assert_nonnull(err);
	if (!strstr(err->message, what))
		g_test_fail_printf("'%s' lacks '%s'", err->message, what);
	g_error_free(err);
	g_assert_cmphex(out.parts, ==, 0);
}

static void test_bad(void)
{
	VcpuState st;
	g_autofree uint8_t *blob = NULL, *big = NULL;
	size_t size;

	fill(&st, false);
	blob = encode(&st, &size);
	blob[8] = 2; /* version 2 */
	expect_fail(blob, size, "version 2");
	blob[8] = 1;
	blob[0] = 'X';
	expect_fail(blob, size, "magic");
	blob[0] = 'K';
	big = g_malloc0(size + 1);
	memcpy(big, blob, size);
	expect_fail(big, size + 1, "trailing");
	blob[16] = 42; /* first part type */
	expect_fail(blob, size, "unknown part");
	blob[16] = VCPU_STATE_PART_REGS;
	blob[20] ^= 1; /* REGS length */
	expect_fail(blob, size, "bad length");
	vcpu_state_clear(&st);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vcpu-state/codec/roundtrip", test_roundtrip);
	g_test_add_func("/vcpu-state/codec/truncated", test_truncated);
	g_test_add_func("/vcpu-state/codec/bad", test_bad);
	return g_test_run();
}
