/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Residency of memory backends (memory/residency.c): untouched memory is
 * absent, touched memory present, MADV_PAGEOUT moves anonymous pages to
 * swap (counted exactly) and shared pages to swap or out of the page
 * cache (counted best-effort, but never as present).  Every reading is
 * taken with both methods (PAGEMAP_SCAN and batched pagemap reads, chosen
 * with the test-only KVMAGE_TEST_RESIDENCY_METHOD), which must agree byte for
 * byte, and as bitmaps, which must agree with the counts.
 *
 * The host's DAMON pages out memory idle for about a minute, and other
 * tests may press the host into reclaim: each case runs in well under a
 * second between touching and counting, and after MADV_PAGEOUT asserts
 * only that what it paged out is gone (more may be).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backends/hostmem.h"
#include "hostmem-util.h"
#include "../hugepage-util.h"
#include "memory/residency.h"
#include "../swap-util.h"
#include "util/error.h"
#include "../timescale.h"

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
	g_setenv("KVMAGE_TEST_RESIDENCY_METHOD", residency_method_str(m), TRUE);
	g_assert_cmpint(residency_method(), ==, m);
}

static uint64_t weight(const unsigned long *bm, uint64_t nbits)
{
	uint64_t w = 0;

	for (uint64_t i = 0; i < nbits; i++)
		w += bm[i / LBITS] >> (i % LBITS) & 1;
	return w;
}

typedef struct Reading {
	ResidencyCounts c[2];	    /* PAGEMAP_SCAN, pagemap */
	unsigned long *p[2], *s[2]; /* bitmaps of both methods */
} Reading;

static void reading_take(RamBank *b, uint64_t off, uint64_t len, Reading *r,
			 size_t longs)
{
	static const ResidencyMethod m[2] = { RESIDENCY_METHOD_PAGEMAP_SCAN,
					      RESIDENCY_METHOD_PAGEMAP };
	GError *err = NULL;

	for (int i = 0; i < 2; i++) {
		use_method(m[i]);
		g_assert_true(residency_count(b, off, len, &r->c[i], &err));
		g_assert_no_error(err);
		memset(r->p[i], 0x55, longs * sizeof(long));
		memset(r->s[i], 0xaa, longs * sizeof(long));
		g_assert_true(
			residency_bitmap(b, off, len, r->p[i], r->s[i], &err));
		g_assert_no_error(err);
	}
	g_unsetenv("KVMAGE_TEST_RESIDENCY_METHOD");
}

/* Counts and bitmaps of both methods agree, with each other and within. */
static bool reading_agrees(Reading *r, uint64_t len, size_t longs, bool assert)
{
	uint64_t nbits = len / PAGE;
	bool ok = true;

#define CHECK(a, b)                                 \
	do {                                        \
		if (assert)                         \
			g_assert_cmpuint(a, ==, b); \
		ok &= (a) == (b);                   \
	} while (0)
	for (int i = 0; i < 2; i++) {
		CHECK(weight(r->p[i], nbits) * PAGE, r->c[i].present);
		CHECK(weight(r->s[i], nbits) * PAGE, r->c[i].swapped);
		CHECK(r->c[i].present + r->c[i].swapped + r->c[i].absent, len);
		for (uint64_t k = 0; k < longs; k++)
			CHECK(r->p[i][k] & r->s[i][k], 0);
	}
	CHECK(r->c[0].present, r->c[1].present);
	CHECK(r->c[0].swapped, r->c[1].swapped);
	CHECK(r->c[0].absent, r->c[1].absent);
	CHECK(r->c[0].best_effort, r->c[1].best_effort);
	CHECK(memcmp(r->p[0], r->p[1], longs * sizeof(long)), 0);
	CHECK(memcmp(r->s[0], r->s[1], longs * sizeof(long)), 0);
#undef CHECK
	return ok;
}

/*
 * Counts of [@off, @off + @len) of @b with both methods, which must
 * agree, as must their bitmaps with each other and with the counts.
 * Shared memory settles for a moment after MADV_PAGEOUT or a swap-in
 * (swap cache, readahead): a reading that disagrees is retried for up to
 * a second (scaled), and the last one must agree.
 */
static ResidencyCounts count(RamBank *b, uint64_t off, uint64_t len)
{
	size_t longs = (len / PAGE + LBITS - 1) / LBITS;
	gint64 end = timescale_deadline(1000);
	Reading r;
	int tries = 0;

	for (int i = 0; i < 2; i++) {
		r.p[i] = g_new(unsigned long, longs);
		r.s[i] = g_new(unsigned long, longs);
	}
	for (;;) {
		reading_take(b, off, len, &r, longs);
		++tries;
		if (reading_agrees(&r, len, longs,
				   g_get_monotonic_time() >= end))
			break;
		g_usleep(20000);
	}
	if (tries > 1)
		g_test_message("reading settled after %d tries", tries);
	for (int i = 0; i < 2; i++) {
		g_free(r.p[i]);
		g_free(r.s[i]);
	}
	return r.c[0];
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

	g_unsetenv("KVMAGE_TEST_RESIDENCY_METHOD");
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
	g_unsetenv("KVMAGE_TEST_RESIDENCY_METHOD");
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
		/* the host's reclaim may take more pages, never fewer */
		c = count(&b, 0, be->size);
		g_assert_cmpuint(c.present + c.swapped, ==, 16 * MiB);
		g_assert_cmpuint(c.absent, ==, 48 * MiB);
		c = count(&b, 4 * MiB, 4 * MiB);
		/* MADV_PAGEOUT may skip a page in another CPU's LRU batch */
		g_assert_cmpuint(c.swapped, >=, 4 * MiB * 9 / 10);
		g_assert_cmpuint(c.present + c.swapped, ==, 4 * MiB);
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
	/*
	 * The host's DAMON may page unmapped pages out at once (it ages
	 * physical regions, whoever owns them now): swapped, not absent.
	 * pagemap alone would report 8 MiB present.
	 */
	g_assert_cmpuint(c.present + c.swapped, ==, 16 * MiB);
	g_assert_cmpuint(c.present, >, 12 * MiB);
	g_assert_cmpuint(c.absent, ==, 48 * MiB);

	if (swap_or_skip(16 * MiB)) {
		/* MADV_PAGEOUT works on mapped pages: [4M, 8M) is mapped */
		pageout(be, 4 * MiB, 4 * MiB);
		c = count(&b, 0, be->size);
		g_assert_true(c.best_effort);
		g_assert_cmpuint(c.present, <, before.present);
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
		if (be == mfd) {
			/* entries zapped: half of each block in core */
			g_assert_cmpint(madvise(be->host, be->size,
						MADV_DONTNEED),
					==, 0);
			c = count(&b, 0, be->size);
			g_assert_cmpuint(c.present + c.swapped, ==, 4 * MiB);
			g_assert_cmpuint(c.present, >, 3 * MiB);
			g_assert_cmpuint(c.absent, ==, 4 * MiB);
			check_fill(be, 0, PAGE, 4); /* map page 0 again */
		}
		if (!swap)
			continue;
		for (uint64_t i = 0; i < be->size; i += 4 * PAGE)
			pageout(be, i, PAGE);
		c = count(&b, 0, be->size);
		g_assert_true(residency_bitmap(&b, 0, be->size, p, s, &err));
		g_assert_no_error(err);
		for (uint64_t i = 0, out = 0; i < be->size / PAGE; i++) {
			bool pr = p[i / LBITS] >> (i % LBITS) & 1;
			bool sw = s[i / LBITS] >> (i % LBITS) & 1;

			/* odd pages never populated; even ones somewhere */
			g_assert_cmpint(pr || sw, ==, i % 2 == 0);
			out += i % 4 == 0 && sw;
			/*
			 * MADV_PAGEOUT skips a page still in another CPU's
			 * LRU batch: nearly all of them go
			 */
			if (i == be->size / PAGE - 1 && be == anon)
				g_assert_cmpuint(out, >=, i / 4 * 9 / 10);
		}
		g_assert_cmpuint(c.swapped, >, 0);
	}
	hostmem_free(anon);
	hostmem_free(mfd);
}

/*
 * Shared files: on tmpfs, pages not in core but in the file are swapped;
 * on a disk filesystem they are in the file (absent), never swapped.
 */
static void test_file(void)
{
	HostMemBackend *tmpfs =
		alloc_ok(HOSTMEM_FILE, "size=16M,mem-path=/dev/shm,share=on");
	HostMemBackend *disk =
		alloc_ok(HOSTMEM_FILE, "size=16M,mem-path=/var/tmp,share=on");
	bool swap = swap_or_skip(16 * MiB);
	RamBank b;
	ResidencyCounts c;

	b = bank_of(tmpfs);
	fill(tmpfs, 0, 8 * MiB, 5);
	c = count(&b, 0, tmpfs->size);
	g_assert_true(c.best_effort);
	g_assert_cmpuint(c.present, ==, 8 * MiB);
	if (swap) {
		pageout(tmpfs, 0, 4 * MiB);
		c = count(&b, 0, tmpfs->size);
		g_assert_cmpuint(c.swapped, >, 0);
		g_assert_cmpuint(c.present + c.swapped, ==, 8 * MiB);
		check_fill(tmpfs, 0, 8 * MiB, 5);
	}
	b = bank_of(disk);
	fill(disk, 0, 8 * MiB, 6);
	g_assert_cmpint(fsync(disk->fd), ==, 0);
	g_assert_cmpint(madvise(disk->host, 8 * MiB, MADV_DONTNEED), ==, 0);
	g_assert_cmpint(posix_fadvise(disk->fd, 0, 8 * MiB,
				      POSIX_FADV_DONTNEED),
			==, 0);
	c = count(&b, 0, 8 * MiB);
	g_assert_true(c.best_effort);
	g_assert_cmpuint(c.swapped, ==, 0);
	g_assert_cmpuint(c.present, <, 8 * MiB); /* dropped from the cache */
	check_fill(disk, 0, 8 * MiB, 6);
	hostmem_free(tmpfs);
	hostmem_free(disk);
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
	/* no file to ask: what DAMON may page out counts as absent */
	g_assert_cmpuint(c.present, >, 6 * MiB);
	g_assert_cmpuint(c.present, <=, 8 * MiB);
	g_assert_cmpuint(c.swapped, ==, 0);
	check_fill(be, 0, 8 * MiB, 3);
	hostmem_free(be);
}

/*
 * Guest RAM banks as the machine lays them out: above 4 GiB, the bank
 * starts 3 GiB into the memfd, and the file offsets asked must follow.
 */
static void test_banks(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_MEMFD, "size=3136M");
	RamList list;
	RamBank *low, *high;
	ResidencyCounts c;
	GError *err = NULL;

	ram_list_init(&list);
	g_assert_true(ram_layout_x86(&list, be, &err));
	g_assert_no_error(err);
	low = ram_bank_find(&list, 0);
	high = ram_bank_find(&list, RAM_X86_HOLE_END);
	g_assert_nonnull(high);
	g_assert_cmpuint(high->backend_offset, ==, 3 * 1024 * MiB);
	g_assert_cmpuint(high->size, ==, 64 * MiB);

	fill(be, high->backend_offset, 8 * MiB, 7);
	c = count(high, 0, high->size);
	g_assert_true(c.best_effort);
	g_assert_cmpuint(c.present, ==, 8 * MiB);
	c = count(low, low->size - 64 * MiB, 64 * MiB);
	g_assert_cmpuint(c.absent, ==, 64 * MiB);
	if (swap_or_skip(16 * MiB)) {
		pageout(be, high->backend_offset, 4 * MiB);
		c = count(high, 0, high->size);
		g_assert_cmpuint(c.swapped, >, 0);
		g_assert_cmpuint(c.present + c.swapped, ==, 8 * MiB);
		/* the low bank's file offsets hold no data */
		c = count(low, low->size - 64 * MiB, 64 * MiB);
		g_assert_cmpuint(c.absent, ==, 64 * MiB);
	}
	ram_list_destroy(&list);
	hostmem_free(be);
}

/* Hugetlb memfd: whole 2 MiB pages, aligned ranges only. */
static void test_hugetlb(void)
{
	HostMemBackend *be;
	RamBank b;
	ResidencyCounts c;
	GError *err = NULL;
	unsigned long p[64], s[64];

	if (!hugepages_or_skip(4))
		return;
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
	g_setenv("KVMAGE_TEST_RESIDENCY_METHOD", "pagemap-scan", TRUE);
	if (residency_count(&b, 0, 0, &c, &err))
		g_assert_cmpuint(c.present + c.swapped + c.absent, ==, 0);
	else
		g_assert_nonnull(strstr(err->message, "PAGEMAP_SCAN"));
	g_clear_error(&err);
	g_unsetenv("KVMAGE_TEST_RESIDENCY_METHOD");
	hostmem_free(be);
}

/* The same without cachestat(), as on kernels before 6.5: lseek(). */
static void test_no_cachestat(gconstpointer test)
{
	g_setenv("KVMAGE_TEST_RESIDENCY_CACHESTAT", "off", TRUE);
	((void (*)(void))test)();
	g_unsetenv("KVMAGE_TEST_RESIDENCY_CACHESTAT");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/residency/method", test_method);
	g_test_add_func("/residency/anon", test_anon);
	g_test_add_func("/residency/memfd", test_memfd);
	g_test_add_func("/residency/fragmented", test_fragmented);
	g_test_add_func("/residency/file", test_file);
	g_test_add_func("/residency/shared-anon", test_shared_anon);
	g_test_add_func("/residency/banks", test_banks);
	g_test_add_func("/residency/hugetlb", test_hugetlb);
	g_test_add_func("/residency/errors", test_errors);
	g_test_add_data_func("/residency/no-cachestat/memfd", test_memfd,
			     test_no_cachestat);
	g_test_add_data_func("/residency/no-cachestat/fragmented",
			     test_fragmented, test_no_cachestat);
	g_test_add_data_func("/residency/no-cachestat/file", test_file,
			     test_no_cachestat);
	g_test_add_data_func("/residency/no-cachestat/banks", test_banks,
			     test_no_cachestat);
	return g_test_run();
}
