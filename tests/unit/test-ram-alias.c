/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The two views of a RAM bank on real backends: banks of shared backends
 * (memfd, hugetlb memfd) get an alias of their own range of the file that
 * ram_gpa_to_hva() returns, sharing data with the guest mapping; private
 * backends have none and ram_gpa_to_hva() returns the guest mapping;
 * destroying the list unmaps the aliases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backends/hostmem.h"
#include "memory/ram.h"
#include "hostmem-util.h"
#include "../hugepage-util.h"

static bool mapped(void *p)
{
	unsigned char vec;

	return !mincore(p, 4096, &vec) || errno != ENOMEM;
}

/* Two banks of @be: [0, 4M) at offset 0 and [1G, 1G + 4M) at 4M. */
static void check_shared(HostMemBackend *be)
{
	RamList l;
	RamBank *lo, *hi;
	volatile uint8_t *g, *v;
	void *alias_lo, *alias_hi;

	ram_list_init(&l);
	lo = ram_bank_add(&l, RAM_BANK_RAM, 0, 4 * MiB, be, 0, NULL);
	hi = ram_bank_add(&l, RAM_BANK_RAM, 1ULL << 30, 4 * MiB, be, 4 * MiB,
			  NULL);
	g_assert_nonnull(lo);
	g_assert_nonnull(hi);
	g_assert_nonnull(lo->host_alias);
	g_assert_nonnull(hi->host_alias);
	g_assert_true(lo->host_alias != lo->host);
	g_assert_true(hi->host == (uint8_t *)be->host + 4 * MiB);
	g_assert_cmpuint((uintptr_t)lo->host_alias % be->page_size, ==, 0);
	/* kvmage's pointers are in the aliases */
	g_assert_true(ram_gpa_to_hva(&l, 0x1000, 8) ==
		      (uint8_t *)lo->host_alias + 0x1000);
	g_assert_true(ram_gpa_to_hva(&l, (1ULL << 30) + 4 * MiB - 1, 1) ==
		      (uint8_t *)hi->host_alias + 4 * MiB - 1);
	/* same bytes in both views, both ways, at the bank's file offset */
	g = (uint8_t *)be->host + 4 * MiB + 0x2345;
	v = ram_gpa_to_hva(&l, (1ULL << 30) + 0x2345, 1);
	*g = 0x5a;
	g_assert_cmphex(*v, ==, 0x5a);
	*v = 0xa5;
	g_assert_cmphex(*g, ==, 0xa5);
	v = ram_gpa_to_hva(&l, 4 * MiB - 1, 1);
	*v = 0x77;
	g_assert_cmphex(((volatile uint8_t *)be->host)[4 * MiB - 1], ==, 0x77);
	alias_lo = lo->host_alias;
	alias_hi = hi->host_alias;
	ram_list_destroy(&l);
	g_assert_false(mapped(alias_lo));
	g_assert_false(mapped(alias_hi));
	/* the guest mapping is the backend's and stays */
	g_assert_true(mapped(be->host));
}

static void test_memfd(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_MEMFD, "size=8M");

	check_shared(be);
	hostmem_free(be);
}

static void test_hugetlb(void)
{
	HostMemBackend *be;

	if (!hugepages_or_skip(4))
		return;
	be = alloc_ok(HOSTMEM_MEMFD, "size=8M,hugetlb=on,hugetlbsize=2M");
	g_assert_cmpuint(be->page_size, ==, 2 * MiB);
	check_shared(be);
	hostmem_free(be);
}

/* No file to alias: kvmage uses the guest mapping itself. */
static void check_private(const char *props, HostMemType type)
{
	HostMemBackend *be = alloc_ok(type, props);
	RamList l;
	RamBank *b;

	ram_list_init(&l);
	b = ram_bank_add(&l, RAM_BANK_RAM, 0, 4 * MiB, be, 0, NULL);
	g_assert_nonnull(b);
	g_assert_null(b->host_alias);
	g_assert_true(ram_gpa_to_hva(&l, 0x1000, 8) ==
		      (uint8_t *)be->host + 0x1000);
	ram_list_destroy(&l);
	hostmem_free(be);
}

static void test_private(void)
{
	check_private("size=4M", HOSTMEM_RAM);
	check_private("size=4M,share=on", HOSTMEM_RAM);
	check_private("size=4M,share=off", HOSTMEM_MEMFD);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ram-alias/memfd", test_memfd);
	g_test_add_func("/ram-alias/hugetlb", test_hugetlb);
	g_test_add_func("/ram-alias/private", test_private);
	return g_test_run();
}
