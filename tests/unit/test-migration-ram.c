/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RAM section end to end: two RAM lists on memfd backends in one
 * process, sent over a pipe from a thread.  Contents match page by page,
 * never-touched pages stay unpopulated on the receiver, and swapped pages
 * go through the cold lane without growing the sender's resident set by
 * more than one batch (sampled from residency while it runs).
 */
#include <string.h>
#include <sys/mman.h>
#include <signal.h>

#include "../swap-util.h"
#include "../timescale.h"
#include "memory/residency.h"
#include "migration-util.h"

#define PAGE  PAGE_SIZE
#define BANK  (16 * MiB)
#define BATCH (MIG_RAM_COLD_BATCH * PAGE)

static void fill(MigVm *vm, uint64_t off, uint64_t pages, int seed)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint8_t *p = (uint8_t *)vm->be->host + off + i * PAGE;

		memset(p, seed + (int)(i % 200) + 1, 64);
		memcpy(p + PAGE - sizeof(i), &i, sizeof(i));
	}
}

static void assert_same(MigVm *a, MigVm *b)
{
	for (uint64_t off = 0; off < a->be->size; off += PAGE) {
		if (memcmp((uint8_t *)a->be->host + off,
			   (uint8_t *)b->be->host + off, PAGE))
			g_error("page at backend offset 0x%" G_GINT64_MODIFIER
				"x differs",
				off);
	}
}

/* [off, off + len) of the backend is neither present nor swapped. */
static void assert_absent(MigVm *vm, uint64_t off, uint64_t len)
{
	RamBank *b = ram_bank_find(&vm->ram, off < BANK ? 0 : MIG_HI_GPA);
	ResidencyCounts c;
	GError *err = NULL;

	g_assert_true(residency_count(b, off % BANK, len, &c, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(c.absent, ==, len);
}

static void assert_ok(MigXfer *x)
{
	g_assert_no_error(x->err);
	g_assert_true(x->ok);
}

/* Resident data, resident zero pages and holes, no swap involved. */
static void test_resident(void)
{
	MigVm src, dst;
	MigXfer tx, rx;
	uint64_t total = 2 * BANK / PAGE;

	migvm_init(&src, BANK);
	migvm_init(&dst, BANK);
	fill(&src, 0, 1024, 1);
	fill(&src, 1024 * PAGE, 64, 2);
	memset((uint8_t *)src.be->host + 1024 * PAGE, 0, 64 * PAGE);
	fill(&src, BANK + 2000 * PAGE, 500, 3);

	mig_transfer(&src, &dst, &tx, &rx);
	assert_ok(&tx);
	assert_ok(&rx);
	g_test_message("sent: %" G_GUINT64_FORMAT " data, %" G_GUINT64_FORMAT
		       " zero, %" G_GUINT64_FORMAT " holes, %" G_GUINT64_FORMAT
		       " cold; %" G_GUINT64_FORMAT " bytes",
		       tx.st.data_pages, tx.st.zero_pages, tx.st.hole_pages,
		       tx.st.cold_pages, tx.st.bytes);
	/* the host may page a page out meanwhile: then it came as cold */
	g_assert_cmpuint(tx.st.data_pages + tx.st.zero_pages + tx.st.cold_pages,
			 ==, 1024 + 64 + 500);
	g_assert_cmpuint(tx.st.zero_pages, <=, 64);
	g_assert_cmpuint(tx.st.hole_pages, ==, total - 1024 - 64 - 500);
	g_assert_cmpuint(rx.st.data_pages, ==, tx.st.data_pages);
	g_assert_cmpuint(rx.st.zero_pages, ==, tx.st.zero_pages);
	g_assert_cmpuint(rx.st.hole_pages, ==, tx.st.hole_pages);
	g_assert_cmpuint(rx.st.cold_pages, ==, tx.st.cold_pages);

	/* before anything reads the receiver: holes and zeros untouched */
	if (tx.st.zero_pages == 64)
		assert_absent(&dst, 1024 * PAGE, 64 * PAGE);
	assert_absent(&dst, 1088 * PAGE, BANK - 1088 * PAGE);
	assert_absent(&dst, BANK, 2000 * PAGE);
	assert_absent(&dst, BANK + 2500 * PAGE, BANK - 2500 * PAGE);
	g_assert_cmpuint(migvm_present(&dst), <=, 1524 * PAGE);
	assert_same(&src, &dst);
	migvm_destroy(&src);
	migvm_destroy(&dst);
}

typedef struct Sampler {
	MigVm *vm;
	gint stop;
	uint64_t max, samples;
} Sampler;

static gpointer sample(gpointer opaque)
{
	Sampler *s = opaque;

	while (!g_atomic_int_get(&s->stop)) {
		s->max = MAX(s->max, migvm_present(s->vm));
		s->samples++;
	}
	return NULL;
}

/* Swapped bytes of the whole backend, once the reading settles. */
static uint64_t swapped_settled(MigVm *vm, uint64_t want)
{
	gint64 end = timescale_deadline(2000);
	uint64_t swapped;

	for (;;) {
		RamBank *b;

		swapped = 0;
		ram_for_each_bank(&vm->ram, b) {
			ResidencyCounts c;

			g_assert_true(residency_count(b, 0, b->size, &c, NULL));
			swapped += c.swapped;
		}
		if (swapped >= want || g_get_monotonic_time() >= end)
			return swapped;
		g_usleep(20000);
	}
}

/* 12 MiB swapped on the source: the cold lane, sampled. */
static void test_cold(void)
{
	Sampler smp = { 0 };
	MigVm src, dst;
	MigXfer tx, rx;
	uint64_t p0, swapped, dst_present;
	GThread *t;

	if (!swap_or_skip(64 * MiB))
		return;
	migvm_init(&src, BANK);
	migvm_init(&dst, BANK);
	fill(&src, 0, BANK / PAGE, 4);
	fill(&src, BANK, 1024, 5);
	g_assert_cmpint(madvise((uint8_t *)src.be->host + 4 * MiB, 12 * MiB,
				MADV_PAGEOUT),
			==, 0);
	/* MADV_PAGEOUT may skip a page in another CPU's LRU batch */
	swapped = swapped_settled(&src, 12 * MiB * 9 / 10);
	g_assert_cmpuint(swapped, >=, 12 * MiB * 9 / 10);
	p0 = migvm_present(&src);
	smp.vm = &src;
	t = g_thread_new("sample", sample, &smp);
	mig_transfer(&src, &dst, &tx, &rx);
	g_atomic_int_set(&smp.stop, 1);
	g_thread_join(t);
	assert_ok(&tx);
	assert_ok(&rx);

	g_test_message("swapped %" G_GUINT64_FORMAT
		       " KiB; cold lane %" G_GUINT64_FORMAT
		       " pages in %" G_GUINT64_FORMAT
		       " batches, %" G_GUINT64_FORMAT " left resident; source "
		       "present %" G_GUINT64_FORMAT
		       " KiB, peak +%" G_GUINT64_FORMAT
		       " KiB over %" G_GUINT64_FORMAT
		       " samples; VmRSS peak +%" G_GUINT64_FORMAT " KiB",
		       swapped >> 10, tx.st.cold_pages, tx.st.cold_batches,
		       tx.st.cold_left_resident, p0 >> 10,
		       (smp.max > p0 ? smp.max - p0 : 0) >> 10, smp.samples,
		       tx.st.peak_extra_rss >> 10);
	g_assert_cmpuint(tx.st.cold_pages * PAGE, >=, swapped);
	g_assert_cmpuint(tx.st.cold_batches, >=,
			 tx.st.cold_pages / MIG_RAM_COLD_BATCH);
	g_assert_cmpuint(smp.samples, >, 0);
	/*
	 * One batch in flight, plus the pages MADV_PAGEOUT left in twice
	 * (another CPU's LRU batch, a locked folio under load): the stream
	 * counts those in cold_left_resident.
	 */
	g_assert_cmpuint(smp.max, <=,
			 p0 + BATCH + tx.st.cold_left_resident * PAGE);
	g_assert_cmpuint(rx.st.cold_pages, ==, tx.st.cold_pages);
	/* the receiver keeps them cold: about the source's resident set */
	dst_present = migvm_present(&dst);
	g_test_message("receiver present %" G_GUINT64_FORMAT " KiB",
		       dst_present >> 10);
	g_assert_cmpuint(dst_present, <=, p0 + BATCH);
	assert_absent(&dst, BANK + 1024 * PAGE, BANK - 1024 * PAGE);
	assert_same(&src, &dst);
	migvm_destroy(&src);
	migvm_destroy(&dst);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/migration-ram/resident", test_resident);
	g_test_add_func("/migration-ram/cold", test_cold);
	return g_test_run();
}
