/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Memslot splitting: banks larger than KVM's slot limit become several. */
#include <string.h>
#include <glib.h>

#include "accel/kvm.h"
#include "util/error.h"

struct piece {
	uint64_t off, len;
};

static bool record(void *opaque, uint64_t off, uint64_t len, GError **errp)
{
	GArray *a = opaque;
	struct piece p = { off, len };

	g_array_append_val(a, p);
	return true;
}

static bool fail_second(void *opaque, uint64_t off, uint64_t len, GError **errp)
{
	int *calls = opaque;

	if (++*calls == 2) {
		error_setg(errp, "injected failure");
		return false;
	}
	return true;
}

static void test_split_exact(void)
{
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(struct piece));

	g_assert_true(kvm_slot_split(8 << 20, 4 << 20, 4096, record, a, NULL));
	g_assert_cmpuint(a->len, ==, 2);
	g_assert_cmpuint(g_array_index(a, struct piece, 0).off, ==, 0);
	g_assert_cmpuint(g_array_index(a, struct piece, 1).off, ==, 4 << 20);
	g_assert_cmpuint(g_array_index(a, struct piece, 1).len, ==, 4 << 20);
}

static void test_split_remainder_and_alignment(void)
{
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(struct piece));
	uint64_t total = 0;

	/* A limit that is not page aligned is rounded down to pages. */
	g_assert_true(kvm_slot_split(10 << 20, (3 << 20) + 100, 4096, record, a,
				     NULL));
	g_assert_cmpuint(a->len, ==, 4);
	for (guint i = 0; i < a->len; i++) {
		struct piece *p = &g_array_index(a, struct piece, i);

		g_assert_cmpuint(p->off % 4096, ==, 0);
		g_assert_cmpuint(p->off, ==, total);
		total += p->len;
	}
	g_assert_cmpuint(total, ==, 10 << 20);
	g_assert_cmpuint(g_array_index(a, struct piece, 3).len, ==, 1 << 20);
}

static void test_split_single(void)
{
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(struct piece));

	g_assert_true(
		kvm_slot_split(64 << 20, 1ULL << 42, 4096, record, a, NULL));
	g_assert_cmpuint(a->len, ==, 1);
	g_assert_cmpuint(g_array_index(a, struct piece, 0).len, ==, 64 << 20);
}

static void test_split_errors(void)
{
	g_autoptr(GError) err = NULL;
	int calls = 0;

	g_assert_false(
		kvm_slot_split(8 << 20, 1024, 4096, fail_second, &calls, &err));
	g_assert_nonnull(strstr(err->message, "below the page size"));
	g_clear_error(&err);
	g_assert_false(kvm_slot_split(8 << 20, 2 << 20, 4096, fail_second,
				      &calls, &err));
	g_assert_cmpint(calls, ==, 2);
	g_assert_cmpstr(err->message, ==, "injected failure");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kvm/slot-split/exact", test_split_exact);
	g_test_add_func("/kvm/slot-split/remainder",
			test_split_remainder_and_alignment);
	g_test_add_func("/kvm/slot-split/single", test_split_single);
	g_test_add_func("/kvm/slot-split/errors", test_split_errors);
	return g_test_run();
}
