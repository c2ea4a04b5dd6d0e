/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM bank list: ordering, overlap, wrap and zero-size refusal,
 * lookups at the edges, and the x86 layout.  Backends are fakes whose
 * host pointer is only used for arithmetic, never dereferenced.
 */
#include <stdint.h>

#include "backends/hostmem.h"
#include "memory/ram.h"
#include "util/error.h"

#define MiB	  (1ULL << 20)
#define GiB	  (1ULL << 30)
#define FAKE_HOST 0x7f0000000000ULL

static HostMemBackend *fake_backend(uint64_t size)
{
	HostMemBackend *be = g_new0(HostMemBackend, 1);

	be->id = g_strdup("fake");
	be->size = size;
	be->host = (void *)(uintptr_t)FAKE_HOST;
	be->page_size = 4096;
	be->fd = -1;
	be->allocated = true;
	return be;
}

static void fake_free(HostMemBackend *be)
{
	g_free(be->id);
	g_free(be);
}

static RamBank *add_ok(RamList *l, RamBankType type, uint64_t gpa,
		       uint64_t size, HostMemBackend *be, uint64_t off)
{
	GError *err = NULL;
	RamBank *b = ram_bank_add(l, type, gpa, size, be, off, &err);

	g_assert_no_error(err);
	g_assert_nonnull(b);
	return b;
}

static void add_err(RamList *l, RamBankType type, uint64_t gpa, uint64_t size,
		    HostMemBackend *be, uint64_t off, const char *want)
{
	GError *err = NULL;
	unsigned before = l->nr_banks;

	g_assert_null(ram_bank_add(l, type, gpa, size, be, off, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==, want);
	g_assert_cmpuint(l->nr_banks, ==, before);
	g_error_free(err);
}

static void test_sorted(void)
{
	HostMemBackend *be = fake_backend(64 * MiB);
	const uint64_t want[] = { 0, 16 * MiB, 32 * MiB, 48 * MiB };
	RamList l;
	RamBank *b;
	unsigned i = 0;

	ram_list_init(&l);
	add_ok(&l, RAM_BANK_RAM, 32 * MiB, 16 * MiB, be, 0);
	add_ok(&l, RAM_BANK_RESERVED, 48 * MiB, 16 * MiB, NULL, 0);
	add_ok(&l, RAM_BANK_RAM, 0, 16 * MiB, be, 16 * MiB);
	add_ok(&l, RAM_BANK_DEVICE, 16 * MiB, 16 * MiB, be, 32 * MiB);
	ram_for_each_bank(&l, b) {
		g_assert_cmpuint(i, <, G_N_ELEMENTS(want));
		g_assert_cmphex(b->gpa, ==, want[i]);
		i++;
	}
	g_assert_cmpuint(i, ==, 4);
	g_assert_cmpuint(l.nr_banks, ==, 4);
	/* only RAM banks count */
	g_assert_cmpuint(l.ram_size, ==, 32 * MiB);
	g_assert_cmphex(l.ram_top, ==, 48 * MiB);
	g_assert_cmpuint(l.head->page_size, ==, 4096);
	g_assert_true(l.head->host ==
		      (void *)(uintptr_t)(FAKE_HOST + 16 * MiB));
	g_assert_null(l.head->next->next->next->host);
	ram_list_destroy(&l);
	g_assert_null(l.head);
	g_assert_cmpuint(l.nr_banks, ==, 0);
	fake_free(be);
}

static void test_refused(void)
{
	HostMemBackend *be = fake_backend(64 * MiB);
	HostMemBackend unalloc = { .id = "u", .size = 64 * MiB };
	RamList l;

	ram_list_init(&l);
	add_ok(&l, RAM_BANK_RAM, 16 * MiB, 16 * MiB, be, 0);
	add_err(&l, RAM_BANK_RAM, 0x1000, 0, be, 0,
		"ram bank at 0x1000 has zero size");
	add_err(&l, RAM_BANK_RAM, UINT64_MAX - 0xfff, 0x1000, be, 0,
		"ram bank at 0xfffffffffffff000 of size 0x1000 wraps around "
		"the address space");
	add_err(&l, RAM_BANK_RESERVED, 1, UINT64_MAX, NULL, 0,
		"reserved bank at 0x1 of size 0xffffffffffffffff wraps "
		"around the address space");
	/* overlaps at the start, the end, inside and around */
	add_err(&l, RAM_BANK_RAM, 8 * MiB, 8 * MiB + 1, be, 0,
		"bank [0x800000, 0x1000001) overlaps ram bank "
		"[0x1000000, 0x2000000)");
	add_err(&l, RAM_BANK_DEVICE, 32 * MiB - 1, 1, be, 0,
		"bank [0x1ffffff, 0x2000000) overlaps ram bank "
		"[0x1000000, 0x2000000)");
	add_err(&l, RAM_BANK_RESERVED, 0, 64 * MiB, NULL, 0,
		"bank [0x0, 0x4000000) overlaps ram bank "
		"[0x1000000, 0x2000000)");
	/* touching is fine */
	add_ok(&l, RAM_BANK_RESERVED, 32 * MiB, 1, NULL, 0);
	add_ok(&l, RAM_BANK_RAM, 0, 16 * MiB, be, 16 * MiB);
	/* backend checks */
	add_err(&l, RAM_BANK_RAM, GiB, 16 * MiB, NULL, 0,
		"ram bank at 0x40000000 needs an allocated memory backend");
	add_err(&l, RAM_BANK_RAM, GiB, 16 * MiB, &unalloc, 0,
		"ram bank at 0x40000000 needs an allocated memory backend");
	add_err(&l, RAM_BANK_RESERVED, GiB, 16 * MiB, be, 0,
		"a reserved bank has no backend");
	add_err(&l, RAM_BANK_RAM, GiB, 16 * MiB, be, 48 * MiB + 1,
		"ram bank at 0x40000000: offset 0x3000001 + size 0x1000000 "
		"is beyond backend 'fake' (size 0x4000000)");
	add_err(&l, RAM_BANK_RAM, GiB, 16, be, UINT64_MAX - 8,
		"ram bank at 0x40000000: offset 0xfffffffffffffff7 + size 0x10 "
		"is beyond backend 'fake' (size 0x4000000)");
	g_assert_cmpuint(l.nr_banks, ==, 3);
	ram_list_destroy(&l);
	fake_free(be);
}

static void test_find(void)
{
	HostMemBackend *be = fake_backend(64 * MiB);
	RamList l;
	RamBank *a, *b;

	ram_list_init(&l);
	a = add_ok(&l, RAM_BANK_RAM, 0, 16 * MiB, be, 0);
	b = add_ok(&l, RAM_BANK_RAM, 16 * MiB, 16 * MiB, be, 32 * MiB);
	add_ok(&l, RAM_BANK_RAM, UINT64_MAX - 16 * MiB, 16 * MiB, be, 0);
	g_assert_true(ram_bank_find(&l, 0) == a);
	g_assert_true(ram_bank_find(&l, 16 * MiB - 1) == a);
	g_assert_true(ram_bank_find(&l, 16 * MiB) == b);
	g_assert_true(ram_bank_find(&l, 32 * MiB - 1) == b);
	g_assert_null(ram_bank_find(&l, 32 * MiB));
	g_assert_null(ram_bank_find(&l, UINT64_MAX - 16 * MiB - 1));
	g_assert_nonnull(ram_bank_find(&l, UINT64_MAX - 1));
	/* the last byte of the address space is never in a bank */
	g_assert_null(ram_bank_find(&l, UINT64_MAX));
	ram_list_destroy(&l);
	fake_free(be);
}

static void test_gpa_to_hva(void)
{
	HostMemBackend *be = fake_backend(64 * MiB);
	uint8_t *host = be->host;
	RamList l;

	ram_list_init(&l);
	add_ok(&l, RAM_BANK_RAM, 0, 16 * MiB, be, 0);
	add_ok(&l, RAM_BANK_RAM, 16 * MiB, 16 * MiB, be, 32 * MiB);
	add_ok(&l, RAM_BANK_RESERVED, 32 * MiB, 16 * MiB, NULL, 0);
	add_ok(&l, RAM_BANK_RAM, UINT64_MAX - 16 * MiB, 16 * MiB, be, 16 * MiB);

	g_assert_true(ram_gpa_to_hva(&l, 0, 1) == host);
	g_assert_true(ram_gpa_to_hva(&l, 0x1234, 8) == host + 0x1234);
	/* the whole bank, and its last byte */
	g_assert_true(ram_gpa_to_hva(&l, 0, 16 * MiB) == host);
	g_assert_true(ram_gpa_to_hva(&l, 16 * MiB - 1, 1) ==
		      host + 16 * MiB - 1);
	/* one byte past the end, even when the next bank is adjacent */
	g_assert_null(ram_gpa_to_hva(&l, 0, 16 * MiB + 1));
	g_assert_null(ram_gpa_to_hva(&l, 16 * MiB - 4, 8));
	/* second bank maps at its backend offset */
	g_assert_true(ram_gpa_to_hva(&l, 16 * MiB, 4) == host + 32 * MiB);
	g_assert_true(ram_gpa_to_hva(&l, 32 * MiB - 1, 1) ==
		      host + 48 * MiB - 1);
	/* zero length inside a bank is the address; past the end is not */
	g_assert_true(ram_gpa_to_hva(&l, 0x10, 0) == host + 0x10);
	g_assert_null(ram_gpa_to_hva(&l, 48 * MiB, 0));
	/* reserved: no host memory */
	g_assert_null(ram_gpa_to_hva(&l, 32 * MiB, 1));
	/* holes */
	g_assert_null(ram_gpa_to_hva(&l, 48 * MiB, 1));
	g_assert_null(ram_gpa_to_hva(&l, GiB, 1));
	/* overflow of gpa + len must not wrap into a bank */
	g_assert_null(ram_gpa_to_hva(&l, 0x100, UINT64_MAX));
	g_assert_null(ram_gpa_to_hva(&l, 0x100, UINT64_MAX - 0xff));
	g_assert_null(ram_gpa_to_hva(&l, UINT64_MAX - 0x10, 0x20));
	g_assert_null(ram_gpa_to_hva(&l, UINT64_MAX, 1));
	g_assert_true(ram_gpa_to_hva(&l, UINT64_MAX - 2, 2) ==
		      host + 32 * MiB - 2);
	g_assert_null(ram_gpa_to_hva(&l, UINT64_MAX - 2, 3));
	ram_list_destroy(&l);
	fake_free(be);
}

static void check_bank(RamBank *b, uint64_t gpa, uint64_t size,
		       HostMemBackend *be, uint64_t off)
{
	g_assert_nonnull(b);
	g_assert_cmpint(b->type, ==, RAM_BANK_RAM);
	g_assert_cmphex(b->gpa, ==, gpa);
	g_assert_cmphex(b->size, ==, size);
	g_assert_true(b->backend == be);
	g_assert_cmphex(b->backend_offset, ==, off);
	g_assert_true(b->host == (uint8_t *)be->host + off);
}

static void test_layout_small(void)
{
	HostMemBackend *be = fake_backend(128 * MiB);
	RamList l;
	GError *err = NULL;

	ram_list_init(&l);
	g_assert_true(ram_layout_x86(&l, be, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(l.nr_banks, ==, 1);
	check_bank(l.head, 0, 128 * MiB, be, 0);
	g_assert_null(l.head->next);
	g_assert_cmphex(l.ram_top, ==, 128 * MiB);
	g_assert_true(ram_gpa_to_hva(&l, 128 * MiB - 8, 8) ==
		      (uint8_t *)be->host + 128 * MiB - 8);
	g_assert_null(ram_gpa_to_hva(&l, 128 * MiB, 1));
	ram_list_destroy(&l);
	fake_free(be);
}

static void test_layout_3g(void)
{
	HostMemBackend *be = fake_backend(3 * GiB);
	RamList l;

	ram_list_init(&l);
	g_assert_true(ram_layout_x86(&l, be, NULL));
	g_assert_cmpuint(l.nr_banks, ==, 1);
	check_bank(l.head, 0, 3 * GiB, be, 0);
	g_assert_cmphex(l.ram_top, ==, RAM_X86_HOLE_START);
	ram_list_destroy(&l);
	fake_free(be);
}

static void test_layout_big(void)
{
	HostMemBackend *be = fake_backend(5 * GiB + 2 * MiB);
	RamList l;
	uint8_t *host = be->host;

	ram_list_init(&l);
	g_assert_true(ram_layout_x86(&l, be, NULL));
	g_assert_cmpuint(l.nr_banks, ==, 2);
	check_bank(l.head, 0, 3 * GiB, be, 0);
	check_bank(l.head->next, 4 * GiB, 2 * GiB + 2 * MiB, be, 3 * GiB);
	g_assert_cmpuint(l.ram_size, ==, 5 * GiB + 2 * MiB);
	g_assert_cmphex(l.ram_top, ==, 6 * GiB + 2 * MiB);
	/* the hole is not RAM, and no access crosses it */
	g_assert_null(ram_gpa_to_hva(&l, RAM_X86_HOLE_START, 1));
	g_assert_null(ram_gpa_to_hva(&l, RAM_X86_HOLE_END - 1, 1));
	g_assert_null(ram_gpa_to_hva(&l, RAM_X86_HOLE_START - 4, 8));
	g_assert_true(ram_gpa_to_hva(&l, RAM_X86_HOLE_END, 1) ==
		      host + 3 * GiB);
	g_assert_true(ram_gpa_to_hva(&l, 6 * GiB + 2 * MiB - 1, 1) ==
		      host + 5 * GiB + 2 * MiB - 1);
	g_assert_null(ram_gpa_to_hva(&l, 6 * GiB + 2 * MiB, 1));
	ram_list_destroy(&l);
	fake_free(be);
}

static void test_layout_conflict(void)
{
	HostMemBackend *be = fake_backend(5 * GiB);
	RamList l;
	GError *err = NULL;

	ram_list_init(&l);
	add_ok(&l, RAM_BANK_RESERVED, 4 * GiB + 4096, 4096, NULL, 0);
	g_assert_false(ram_layout_x86(&l, be, &err));
	g_assert_cmpstr(err->message, ==,
			"bank [0x100000000, 0x180000000) "
			"overlaps reserved bank [0x100001000, 0x100002000)");
	g_error_free(err);
	/* the first bank was taken back out */
	g_assert_cmpuint(l.nr_banks, ==, 1);
	g_assert_cmpint(l.head->type, ==, RAM_BANK_RESERVED);
	g_assert_cmpuint(l.ram_size, ==, 0);
	g_assert_cmphex(l.ram_top, ==, 0);
	ram_list_destroy(&l);
	fake_free(be);
}

static void test_type_str(void)
{
	g_assert_cmpstr(ram_bank_type_str(RAM_BANK_RAM), ==, "ram");
	g_assert_cmpstr(ram_bank_type_str(RAM_BANK_DEVICE), ==, "device");
	g_assert_cmpstr(ram_bank_type_str(RAM_BANK_RESERVED), ==, "reserved");
	g_assert_cmpstr(ram_bank_type_str(42), ==, "unknown");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ram/sorted", test_sorted);
	g_test_add_func("/ram/refused", test_refused);
	g_test_add_func("/ram/find", test_find);
	g_test_add_func("/ram/gpa-to-hva", test_gpa_to_hva);
	g_test_add_func("/ram/layout-x86/small", test_layout_small);
	g_test_add_func("/ram/layout-x86/3g", test_layout_3g);
	g_test_add_func("/ram/layout-x86/big", test_layout_big);
	g_test_add_func("/ram/layout-x86/conflict", test_layout_conflict);
	g_test_add_func("/ram/type-str", test_type_str);
	return g_test_run();
}
