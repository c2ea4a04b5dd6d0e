/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Residency of memory backends (reclaim/residency.c): untouched memory is
 * absent, touched memory present, MADV_PAGEOUT moves anonymous pages to
 * swap (counted exactly) and shared pages to swap or out of the page
 * cache (counted best-effort, but never as present).  Every reading is
 * taken with both methods (PAGEMAP_SCAN and batched pagemap reads, chosen
 * with the test-only KVMAGE_RESIDENCY_METHOD), which must agree byte for
 * byte, and as bitmaps, which must agree with the counts.
 *
 * The host's DAMON pages out memory idle for about a minute: each case
 * runs in well under a second between touching and counting.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backends/hostmem.h"
#include "hostmem-util.h"
#include "reclaim/residency.h"
#include "../swap-util.h"
#include "util/error.h"

#define PAGE  4096ULL
#define LBITS (8 * sizeof(unsigned long))

static RamBank bank_of(HostMemBackend *be)
{
	RamBank b = {
		.type = RAM_BANK_RAM,
		.size = be->size,
		.host = be->host,
		.backend = be,
		.page_size = be->page_size,
	};

	return b;
}

static void use_method(ResidencyMethod m)
{
	g_setenv("KVMAGE_RESIDENCY_METHOD", residency_method_str(m), TRUE);
	g_assert_cmpint(residency_method(), ==, m);
}

static uint64_t weight(const unsigned long *bm, uint64_t nbits)
{
	uint64_t w = 0;

	for (uint64_t i = 0; i < nbits; i++)
		w += bm[i / LBITS] >> (i % LBITS) & 1;
	return w;
}

/* Bitmaps of @m, checked against its counts @c. */
static void bitmaps_of(RamBank *b, uint64_t off, uint64_t len,
		       const ResidencyCounts *c, unsigned long *p,
		       unsigned long *s)
{
	uint64_t nbits = len / PAGE;
	GError *err = NULL;

	g_assert_true(residency_bitmap(b, off, len, p, s, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(weight(p, nbits) * PAGE, ==, c->present);
	g_assert_cmpuint(weight(s, nbits) * PAGE, ==, c->swapped);
	for (uint64_t i = 0; i < (nbits + LBITS - 1) / LBITS; i++)
		g_assert_cmphex(p[i] & s[i], ==, 0);
}

/*
 * Counts of [@off, @off + @len) of @b with both methods, which must
 * agree, as must their bitmaps with each other and with the counts.
 */
static ResidencyCounts count(RamBank *b, uint64_t off, uint64_t len)
{
	size_t longs = (len / PAGE + LBITS - 1) / LBITS;
	g_autofree unsigned long *p1 = g_new0(unsigned long, longs);
	g_autofree unsigned long *s1 = g_new0(unsigned long, longs);
	g_autofree unsigned long *p2 = g_new0(unsigned long, longs);
	g_autofree unsigned long *s2 = g_new0(unsigned long, longs);
	ResidencyCounts c1, c2;
	GError *err = NULL;

	use_method(RESIDENCY_METHOD_PAGEMAP_SCAN);
	g_assert_true(residency_count(b, off, len, &c1, &err));
	g_assert_no_error(err);
	bitmaps_of(b, off, len, &c1, p1, s1);
	use_method(RESIDENCY_METHOD_PAGEMAP);
	g_assert_true(residency_count(b, off, len, &c2, &err));
	g_assert_no_error(err);
	bitmaps_of(b, off, len, &c2, p2, s2);
	g_unsetenv("KVMAGE_RESIDENCY_METHOD");

	g_assert_cmpuint(c1.present, ==, c2.present);
	g_assert_cmpuint(c1.swapped, ==, c2.swapped);
	g_assert_cmpuint(c1.absent, ==, c2.absent);
	g_assert_cmpint(c1.best_effort, ==, c2.best_effort);
	g_assert_cmpmem(p1, longs * sizeof(long), p2, longs * sizeof(long));
	g_assert_cmpmem(s1, longs * sizeof(long), s2, longs * sizeof(long));
	g_assert_cmpuint(c1.present + c1.swapped + c1.absent, ==, len);
	return c1;
}

static void fill(HostMemBackend *be, uint64_t off, uint64_t len, int seed)
{
	for (uint64_t i = off; i < off + len; i += PAGE)
		memset((char *)be->host + i, seed + (int)(i / PAGE), 64);
}

/* Read back what fill() wrote (faulting swapped pages back in). */
static void check_fill(HostMemBackend *be, uint64_t off, uint64_t len, int seed)
{
	for (uint64_t i = off; i < off + len; i += PAGE)
		g_assert_cmpint(((unsigned char *)be->host)[i], ==,
				(unsigned char)(seed + (int)(i / PAGE)));
}

static void pageout(HostMemBackend *be, uint64_t off, uint64_t len)
{
	g_assert_cmpint(madvise((char *)be->host + off, len, MADV_PAGEOUT), ==,
			0);
}

/* PM_PRESENT of this process's entry for @p. */
static bool pte_present(void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(pread(fd, &e, 8, (uintptr_t)p / PAGE * 8), ==, 8);
	close(fd);
	return e >> 63;
}

static void test_method(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	g_unsetenv("KVMAGE_RESIDENCY_METHOD");
	g_assert_cmpint(uname(&u), ==, 0);
	g_assert_cmpint(sscanf(u.release, "%u.%u", &major, &minor), ==, 2);
	/* PAGEMAP_SCAN came with Linux 6.7 */
	if (major > 6 || (major == 6 && minor >= 7))
		g_assert_cmpint(residency_method(), ==,
				RESIDENCY_METHOD_PAGEMAP_SCAN);
	else
		g_assert_cmpint(residency_method(), ==,
				RESIDENCY_METHOD_PAGEMAP);
	g_assert_cmpstr(residency_method_str(RESIDENCY_METHOD_PAGEMAP), ==,
			"pagemap");
	g_assert_cmpstr(residency_method_str(RESIDENCY_METHOD_PAGEMAP_SCAN), ==,
			"pagemap-scan");
	use_method(RESIDENCY_METHOD_PAGEMAP);
	g_unsetenv("KVMAGE_RESIDENCY_METHOD");
}

/* Anonymous private RAM: exact, swap included. */
static void test_anon(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_RAM, "size=64M");
	RamBank b = bank_of(be);
	ResidencyCounts c;

	c = count(&b, 0, be->size);
	g_assert_false(c.best_effort);
	g_assert_cmpuint(c.absent, ==, 64 * MiB);

	/* whole 2 MiB extents, so that THP cannot round anything up */
	fill(be, 0, 16 * MiB, 1);
	c = count(&b, 0, be->size);
	g_assert_cmpuint(c.present, ==, 16 * MiB);
	g_assert_cmpuint(c.swapped, ==, 0);
	c = count(&b, 14 * MiB, 4 * MiB); /* a range across the edge */
	g_assert_cmpuint(c.present, ==, 2 * MiB);
	g_assert_cmpuint(c.absent, ==, 2 * MiB);

	if (swap_or_skip(16 * MiB)) {
		pageout(be, 4 * MiB, 4 * MiB);
		c = count(&b, 0, be->size);
		g_assert_cmpuint(c.swapped, ==, 4 * MiB);
		g_assert_cmpuint(c.present, ==, 12 * MiB);
		g_assert_cmpuint(c.absent, ==, 48 * MiB);
		c = count(&b, 4 * MiB, 4 * MiB);
		g_assert_cmpuint(c.swapped, ==, 4 * MiB);
		/* the data comes back, and is present again */
		check_fill(be, 0, 16 * MiB, 1);
		c = count(&b, 0, be->size);
		g_assert_cmpuint(c.present, ==, 16 * MiB);
		g_assert_cmpuint(c.swapped, ==, 0);
	}
	/* dropped private pages are absent */
	g_assert_cmpint(madvise(be->host, 4 * MiB, MADV_DONTNEED), ==, 0);
	c = count(&b, 0, be->size);
	g_assert_cmpuint(c.present, ==, 12 * MiB);
	g_assert_cmpuint(c.absent, ==, 52 * MiB);
	hostmem_free(be);
}

/* Shared memfd: zapped entries still present, pageout best-effort. */
static void test_memfd(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_MEMFD, "size=64M");
	RamBank b = bank_of(be);
	ResidencyCounts c, before;

	c = count(&b, 0, be->size);
	g_assert_true(c.best_effort);
	g_assert_cmpuint(c.absent, ==, 64 * MiB);

	fill(be, 0, 16 * MiB, 2);
	before = count(&b, 0, be->size);
	g_assert_cmpuint(before.present, ==, 16 * MiB);
	g_assert_cmpuint(before.absent, ==, 48 * MiB);

	/*
	 * Zapping this mapping's entries (as uffd aging does) keeps the
	 * data in the page cache: still present, although pagemap alone
	 * no longer sees it.
	 */
	g_assert_cmpint(madvise((char *)be->host + 8 * MiB, 8 * MiB,
				MADV_DONTNEED),
			==, 0);
	g_assert_false(pte_present((char *)be->host + 8 * MiB));
	c = count(&b, 0, be->size);
	g_assert_cmpuint(c.present, ==, 16 * MiB);
	g_assert_cmpuint(c.absent, ==, 48 * MiB);

	if (swap_or_skip(16 * MiB)) {
		/* MADV_PAGEOUT works on mapped pages: [4M, 8M) is mapped */
		pageout(be, 4 * MiB, 4 * MiB);
		c = count(&b, 0, be->size);
		g_assert_true(c.best_effort);
		g_assert_cmpuint(c.present, <, before.present);
		g_assert_cmpuint(c.present, >=, 12 * MiB);
		g_assert_cmpuint(c.swapped + c.absent, >,
				 before.swapped + before.absent);
		/* the file's data is swapped out, not a hole */
		g_assert_cmpuint(c.swapped, >, 0);
		g_assert_cmpuint(c.present + c.swapped, ==, 16 * MiB);
		check_fill(be, 0, 16 * MiB, 2);
		c = count(&b, 0, be->size);
		g_assert_cmpuint(c.present, ==, 16 * MiB);
	}
	/* a punched hole is absent again */
	g_assert_cmpint(fallocate(be->fd,
				  FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  12 * MiB, 4 * MiB),
			==, 0);
	c = count(&b, 0, be->size);
	g_assert_cmpuint(c.present, ==, 12 * MiB);
	g_assert_cmpuint(c.absent, ==, 52 * MiB);
	hostmem_free(be);
}

/*
 * Every other page touched, every fourth paged out: more runs than one
 * PAGEMAP_SCAN call returns, and more file extents than one lseek.
 */
static void test_fragmented(void)
{
	HostMemBackend *anon = alloc_ok(HOSTMEM_RAM, "size=8M");
	HostMemBackend *mfd = alloc_ok(HOSTMEM_MEMFD, "size=8M");
	HostMemBackend *bes[] = { anon, mfd };
	bool swap = swap_or_skip(16 * MiB);

	/* no THP: single pages */
	g_assert_cmpint(madvise(anon->host, anon->size, MADV_NOHUGEPAGE), ==,
			0);
	for (unsigned k = 0; k < G_N_ELEMENTS(bes); k++) {
		HostMemBackend *be = bes[k];
		RamBank b = bank_of(be);
		size_t longs = be->size / PAGE / LBITS;
		g_autofree unsigned long *p = g_new(unsigned long, longs);
		g_autofree unsigned long *s = g_new(unsigned long, longs);
		ResidencyCounts c;
		GError *err = NULL;

		for (uint64_t i = 0; i < be->size; i += 2 * PAGE)
			fill(be, i, PAGE, 4);
		c = count(&b, 0, be->size);
		g_assert_cmpuint(c.present, ==, 4 * MiB);
		g_assert_cmpuint(c.absent, ==, 4 * MiB);
		if (!swap)
			continue;
		for (uint64_t i = 0; i < be->size; i += 4 * PAGE)
			pageout(be, i, PAGE);
		c = count(&b, 0, be->size);
		g_assert_true(residency_bitmap(&b, 0, be->size, p, s, &err));
		g_assert_no_error(err);
		for (uint64_t i = 0; i < be->size / PAGE; i++) {
			bool pr = p[i / LBITS] >> (i % LBITS) & 1;
			bool sw = s[i / LBITS] >> (i % LBITS) & 1;

			/* odd pages never populated; even ones somewhere */
			g_assert_cmpint(pr || sw, ==, i % 2 == 0);
			/* every other touched page was left alone */
			if (i % 4 == 2)
				g_assert_true(pr);
			if (be == anon && i % 4 == 0)
				g_assert_true(sw);
		}
		if (be == anon)
			g_assert_cmpuint(c.swapped, ==, 2 * MiB);
		else
			g_assert_cmpuint(c.swapped, >, 0);
	}
	hostmem_free(anon);
	hostmem_free(mfd);
}

/* Shared anonymous memory: no file, mincore only. */
static void test_shared_anon(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_RAM, "size=16M,share=on");
	RamBank b = bank_of(be);
	ResidencyCounts c;

	fill(be, 0, 8 * MiB, 3);
	g_assert_cmpint(madvise(be->host, 8 * MiB, MADV_DONTNEED), ==, 0);
	c = count(&b, 0, be->size);
	g_assert_true(c.best_effort);
	g_assert_cmpuint(c.present, ==, 8 * MiB);
	g_assert_cmpuint(c.absent, ==, 8 * MiB);
	check_fill(be, 0, 8 * MiB, 3);
	hostmem_free(be);
}

static uint64_t free_huge_pages(void)
{
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL))
		return 0;
	p = strstr(text, "HugePages_Free:");
	return p ? g_ascii_strtoull(p + strlen("HugePages_Free:"), NULL, 10) :
		   0;
}

/* Hugetlb memfd: whole 2 MiB pages, aligned ranges only. */
static void test_hugetlb(void)
{
	HostMemBackend *be;
	RamBank b;
	ResidencyCounts c;
	GError *err = NULL;
	unsigned long p[64], s[64];

	if (free_huge_pages() < 4) {
		g_test_skip("fewer than 4 free huge pages: run "
			    "scripts/setup-host.sh as root");
		return;
	}
	be = alloc_ok(HOSTMEM_MEMFD, "size=8M,hugetlb=on");
	b = bank_of(be);
	g_assert_cmpuint(be->page_size, ==, 2 * MiB);
	c = count(&b, 0, be->size);
	g_assert_cmpuint(c.absent, ==, 8 * MiB);

	/* one byte in each of two huge pages: two whole pages present */
	((char *)be->host)[4096] = 1;
	((char *)be->host)[4 * MiB + 8 * 4096] = 1;
	c = count(&b, 0, be->size);
	g_assert_cmpuint(c.present, ==, 4 * MiB);
	g_assert_cmpuint(c.swapped, ==, 0);
	g_assert_cmpuint(c.absent, ==, 4 * MiB);
	g_assert_true(residency_bitmap(&b, 0, be->size, p, s, &err));
	g_assert_no_error(err);
	for (unsigned i = 0; i < 2048; i++)
		g_assert_cmpint(p[i / LBITS] >> (i % LBITS) & 1, ==,
				i < 512 || (i >= 1024 && i < 1536));
	c = count(&b, 2 * MiB, 4 * MiB);
	g_assert_cmpuint(c.present, ==, 2 * MiB);

	g_assert_false(residency_count(&b, 4096, 2 * MiB, &c, &err));
	g_assert_nonnull(strstr(err->message, "not aligned"));
	g_clear_error(&err);
	hostmem_free(be);
}

static void test_errors(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_RAM, "size=1M");
	RamBank b = bank_of(be), none = { .type = RAM_BANK_RESERVED };
	ResidencyCounts c = { .present = 1 };
	unsigned long bm[8];
	GError *err = NULL;

	g_assert_false(residency_count(&b, 100, 4096, &c, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_nonnull(strstr(err->message, "not aligned"));
	g_clear_error(&err);
	g_assert_false(residency_count(&b, 0, 2 * MiB, &c, &err));
	g_assert_nonnull(strstr(err->message, "outside the bank"));
	g_clear_error(&err);
	g_assert_false(residency_bitmap(&b, MiB, 4096, bm, NULL, &err));
	g_assert_nonnull(strstr(err->message, "outside the bank"));
	g_clear_error(&err);
	g_assert_false(residency_count(&none, 0, 0, &c, &err));
	g_assert_nonnull(strstr(err->message, "no memory"));
	g_clear_error(&err);
	/* forcing PAGEMAP_SCAN where it is missing is refused */
	g_setenv("KVMAGE_RESIDENCY_METHOD", "pagemap-scan", TRUE);
	if (residency_count(&b, 0, 0, &c, &err))
		g_assert_cmpuint(c.present + c.swapped + c.absent, ==, 0);
	else
		g_assert_nonnull(strstr(err->message, "PAGEMAP_SCAN"));
	g_clear_error(&err);
	g_unsetenv("KVMAGE_RESIDENCY_METHOD");
	hostmem_free(be);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/residency/method", test_method);
	g_test_add_func("/residency/anon", test_anon);
	g_test_add_func("/residency/memfd", test_memfd);
	g_test_add_func("/residency/fragmented", test_fragmented);
	g_test_add_func("/residency/shared-anon", test_shared_anon);
	g_test_add_func("/residency/hugetlb", test_hugetlb);
	g_test_add_func("/residency/errors", test_errors);
	return g_test_run();
}
