/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * madvise batches through io_uring and through the plain madvise()
 * fallback (forced with the test-only KVMAGE_TEST_MADVISE_NO_URING=1):
 * per-request results, errors reported per entry (EINVAL for an
 * unaligned address or an over-long request, ENOMEM for an unmapped
 * range), batches longer than the ring depth, and what MADV_PAGEOUT and
 * MADV_COLD really do to an anonymous region: read back from
 * /proc/self/pagemap (PAGEOUT moves pages to swap when the host has
 * swap; COLD leaves them present) with the contents intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <glib.h>

#include "memory/madvise-ring.h"

#define PG	   4096UL
#define MiB	   (1024UL * 1024)
#define REGION	   (8 * MiB)
#define PM_SWAP	   (1ULL << 62)
#define PM_PRESENT (1ULL << 63)

static bool host_has_swap(void)
{
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL))
		return false;
	p = strstr(text, "SwapFree:");
	return p && g_ascii_strtoull(p + 9, NULL, 10) > 64 * 1024;
}

/* Pages of [p, p + len) present [0] and swapped [1], from pagemap. */
static void pagemap_count(void *p, size_t len, uint64_t out[2])
{
	size_t n = len / PG;
	g_autofree uint64_t *e = g_new(uint64_t, n);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(pread(fd, e, n * 8, (uintptr_t)p / PG * 8), ==, n * 8);
	close(fd);
	out[0] = out[1] = 0;
	for (size_t i = 0; i < n; i++) {
		out[0] += !!(e[i] & PM_PRESENT);
		out[1] += !!(e[i] & PM_SWAP);
	}
}

static uint8_t *region_new(void)
{
	uint8_t *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	g_assert(p != MAP_FAILED);
	/* 4 KiB pages: THP would make pageout all or nothing per 2 MiB */
	g_assert_cmpint(madvise(p, REGION, MADV_NOHUGEPAGE), ==, 0);
	for (size_t off = 0; off < REGION; off += PG)
		memset(p + off, (int)(off / PG) & 0xff, PG);
	return p;
}

static void region_check(uint8_t *p)
{
	for (size_t off = 0; off < REGION; off += PG) {
		uint8_t want = (off / PG) & 0xff;

		g_assert_cmpuint(p[off], ==, want);
		g_assert_cmpuint(p[off + PG - 1], ==, want);
	}
}

static MadviseRing *ring_new(bool uring)
{
	g_autoptr(GError) err = NULL;
	MadviseRing *r;

	if (!uring)
		g_setenv("KVMAGE_TEST_MADVISE_NO_URING", "1", true);
	r = madvise_ring_new(&err);
	g_unsetenv("KVMAGE_TEST_MADVISE_NO_URING");
	g_assert_no_error(err);
	g_assert_nonnull(r);
	if (!uring) {
		g_assert_false(madvise_ring_uses_uring(r));
		g_assert_nonnull(strstr(madvise_ring_fallback_reason(r),
					"KVMAGE_TEST_MADVISE_NO_URING"));
	}
	return r;
}

static void test_results(gconstpointer data)
{
	bool uring = GPOINTER_TO_INT(data);
	MadviseRing *r = ring_new(uring);
	uint8_t *p = region_new();
	g_autoptr(GError) err = NULL;
	void *hole;
	uint64_t cnt[2];
	MadviseReq req[5];

	if (uring && !madvise_ring_uses_uring(r)) {
		g_test_skip(madvise_ring_fallback_reason(r));
		goto out;
	}
	/* an unmapped range: map and unmap to own an address */
	hole = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	g_assert(hole != MAP_FAILED);
	g_assert_cmpint(munmap(hole, 4 * PG), ==, 0);
	req[0] = (MadviseReq){ p, 2 * MiB, MADV_COLD };
	req[1] = (MadviseReq){ p + 2 * MiB, 2 * MiB, MADV_PAGEOUT };
	req[2] = (MadviseReq){ p + 100, PG, MADV_PAGEOUT };
	req[3] = (MadviseReq){ p, (size_t)MADVISE_RING_MAX_LEN + PG,
			       MADV_PAGEOUT };
	req[4] = (MadviseReq){ hole, 4 * PG, MADV_PAGEOUT };
	for (int i = 0; i < 5; i++)
		req[i].result = 12345;
	g_assert_cmpint(madvise_ring_submit(r, req, 5, &err), ==, 3);
	g_assert_no_error(err);
	g_assert_cmpint(req[0].result, ==, 0);
	g_assert_cmpint(req[1].result, ==, 0);
	g_assert_cmpint(req[2].result, ==, -EINVAL);
	g_assert_cmpint(req[3].result, ==, -EINVAL);
	g_assert_cmpint(req[4].result, ==, -ENOMEM);

	/* COLD: still present; PAGEOUT: in swap if the host has swap */
	pagemap_count(p, 2 * MiB, cnt);
	g_assert_cmpuint(cnt[0], ==, 2 * MiB / PG);
	pagemap_count(p + 2 * MiB, 2 * MiB, cnt);
	g_test_message("pageout of 2 MiB: %" G_GUINT64_FORMAT
		       " present, %" G_GUINT64_FORMAT " swapped",
		       cnt[0], cnt[1]);
	if (host_has_swap())
		g_assert_cmpuint(cnt[1], >=, 2 * MiB / PG * 9 / 10);
	else
		g_assert_cmpuint(cnt[1], ==, 0);
	/* the untouched rest was not advised */
	pagemap_count(p + 4 * MiB, 4 * MiB, cnt);
	g_assert_cmpuint(cnt[0], ==, 4 * MiB / PG);
	region_check(p);
out:
	g_assert_cmpint(munmap(p, REGION), ==, 0);
	madvise_ring_free(r);
}

/* More requests than the ring holds: every page its own request. */
static void test_many(gconstpointer data)
{
	bool uring = GPOINTER_TO_INT(data);
	MadviseRing *r = ring_new(uring);
	uint8_t *p = region_new();
	unsigned n = 4 * MADVISE_RING_DEPTH + 3;
	g_autofree MadviseReq *req = g_new0(MadviseReq, n);
	g_autoptr(GError) err = NULL;
	uint64_t cnt[2];

	for (unsigned i = 0; i < n; i++) {
		req[i] = (MadviseReq){ p + i * PG, PG, MADV_PAGEOUT, 1 };
		if (i % 50 == 7)
			req[i].addr = p + i * PG + 8; /* unaligned */
	}
	g_assert_cmpint(madvise_ring_submit(r, req, n, &err), ==,
			(int)((n - 7 + 49) / 50));
	g_assert_no_error(err);
	for (unsigned i = 0; i < n; i++)
		g_assert_cmpint(req[i].result, ==, i % 50 == 7 ? -EINVAL : 0);
	pagemap_count(p, n * PG, cnt);
	if (host_has_swap())
		g_assert_cmpuint(cnt[1], >=, (n - n / 50 - 1) * 9 / 10);
	region_check(p);
	g_assert_cmpint(munmap(p, REGION), ==, 0);
	madvise_ring_free(r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/madvise-ring/uring/results", GINT_TO_POINTER(1),
			     test_results);
	g_test_add_data_func("/madvise-ring/fallback/results",
			     GINT_TO_POINTER(0), test_results);
	g_test_add_data_func("/madvise-ring/uring/many", GINT_TO_POINTER(1),
			     test_many);
	g_test_add_data_func("/madvise-ring/fallback/many", GINT_TO_POINTER(0),
			     test_many);
	return g_test_run();
}
