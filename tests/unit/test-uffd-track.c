/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * userfaultfd MINOR-fault access tracking on a memfd: a "guest" thread
 * touches pages through the registered mapping, the test reads and checks
 * data through an unregistered alias.  Asserts exactly which pages are
 * reported accessed, full and sampled zapping, missing pages (holes)
 * recorded and zero-filled, the refusal of private
 * anonymous memory, teardown with a blocked faulter, and prints the costs.
 * Skips when userfaultfd is not available to this process.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "memory/uffd-track.h"
#include "uffd-bank.h"
#include "util/error.h"
#include "../timescale.h"

#define PAGE   4096u
#define NPAGES 1024u /* 4 MiB */
#define BPL    (8 * sizeof(unsigned long))
#define NWORDS ((NPAGES + BPL - 1) / BPL)

/* Fill page i with i through the alias; register the guest mapping. */
static void bank_init(Bank *b, unsigned flags)
{
	GError *err = NULL;
	unsigned i;

	g_assert_true(uffd_bank_map(b, "uffd-test", 0, NPAGES * PAGE));
	for (i = 0; i < NPAGES; i++)
		memset(b->alias + i * PAGE, i & 0xff, PAGE);
	b->t = uffd_track_new("mem0", b->guest, NPAGES * PAGE, PAGE, flags,
			      &err);
	g_assert_no_error(err);
	g_assert_cmpuint(uffd_track_npages(b->t), ==, NPAGES);
}

typedef struct Touch {
	Bank *b;
	const bool *which; /* NPAGES entries */
	bool write;
	uint64_t sum;
	volatile bool done;
} Touch;

/* The guest: read or write (keeping the data) the pages asked for. */
static gpointer touch_thread(gpointer opaque)
{
	Touch *tc = opaque;
	unsigned i;

	for (i = 0; i < NPAGES; i++) {
		volatile uint8_t *p = tc->b->guest + i * PAGE + 7;

		if (!tc->which[i])
			continue;
		if (tc->write)
			*p = *p;
		else
			tc->sum += *p;
	}
	tc->done = true;
	return NULL;
}

static void touch(Bank *b, const bool *which, bool write)
{
	Touch tc = { .b = b, .which = which, .write = write };

	g_thread_join(g_thread_new("guest", touch_thread, &tc));
	g_assert_true(tc.done);
}

static void zap(Bank *b, unsigned stride, unsigned phase)
{
	GError *err = NULL;

	g_assert_true(uffd_track_zap(b->t, stride, 1, phase, &err));
	g_assert_no_error(err);
}

/* Harvest and check it is exactly @want. */
static void expect(Bank *b, const bool *want)
{
	unsigned long bits[NWORDS];
	uint64_t n = 0, set;
	unsigned i;

	set = uffd_track_harvest(b->t, bits);
	for (i = 0; i < NPAGES; i++) {
		bool got = bits[i / BPL] >> (i % BPL) & 1;

		if (got != want[i])
			g_error("page %u: accessed %d, expected %d", i, got,
				want[i]);
		n += want[i];
	}
	g_assert_cmpuint(set, ==, n);
}

static void check_data(Bank *b)
{
	unsigned i;

	for (i = 0; i < NPAGES; i++) {
		g_assert_cmpuint(b->alias[i * PAGE], ==, i & 0xff);
		g_assert_cmpuint(b->alias[i * PAGE + PAGE - 1], ==, i & 0xff);
	}
}

static void test_full(void)
{
	bool all[NPAGES], sub[NPAGES], none[NPAGES] = { 0 };
	uint64_t t0, t1;
	UffdTrackStats st;
	Bank b;
	unsigned i;

	if (!uffd_bank_usable())
		return;
	bank_init(&b, 0);
	for (i = 0; i < NPAGES; i++) {
		all[i] = true;
		sub[i] = i % 3 == 0 || (i >= 500 && i < 520);
	}
	/* first touches fault too: the guest mapping starts empty */
	touch(&b, all, false);
	expect(&b, all);
	/* mapped now: touching again is not recorded */
	touch(&b, all, true);
	expect(&b, none);

	t0 = uffd_bank_now_ns();
	zap(&b, 1, 0);
	t1 = uffd_bank_now_ns();
	g_test_message("full zap: %.3f us per page", (t1 - t0) / 1e3 / NPAGES);
	touch(&b, sub, false);
	expect(&b, sub);
	check_data(&b);
	/* writes are seen as well, and the untouched stay unaccessed */
	zap(&b, 1, 0);
	touch(&b, sub, true);
	touch(&b, sub, true);
	expect(&b, sub);
	check_data(&b);

	/* cost of a fault round trip */
	zap(&b, 1, 0);
	t0 = uffd_bank_now_ns();
	touch(&b, all, false);
	t1 = uffd_bank_now_ns();
	expect(&b, all);
	g_test_message("fault round trip: %.2f us", (t1 - t0) / 1e3 / NPAGES);
	uffd_track_stats(b.t, &st);
	g_assert_cmpuint(st.errors, ==, 0);
	g_assert_cmpuint(st.faults + st.eexist, >=, 2 * NPAGES);
	g_assert_cmpuint(st.zapped, ==, 3 * NPAGES);
	uffd_bank_unmap(&b);
}

static void test_sampled(void)
{
	bool all[NPAGES], want[NPAGES], seen[NPAGES] = { 0 };
	const unsigned stride = 16;
	UffdTrackStats st;
	unsigned k, i;
	uint64_t t0;
	Bank b;

	if (!uffd_bank_usable())
		return;
	bank_init(&b, 0);
	for (i = 0; i < NPAGES; i++)
		all[i] = true;
	touch(&b, all, false);
	expect(&b, all);
	t0 = uffd_bank_now_ns();
	for (k = 0; k < stride; k++) {
		zap(&b, stride, k);
		touch(&b, all, k & 1);
		for (i = 0; i < NPAGES; i++) {
			want[i] = i % stride == k;
			seen[i] |= want[i];
		}
		expect(&b, want);
	}
	for (i = 0; i < NPAGES; i++)
		g_assert_true(seen[i]);
	check_data(&b);
	uffd_track_stats(b.t, &st);
	g_assert_cmpuint(st.zapped, ==, NPAGES);
	g_assert_cmpuint(st.errors, ==, 0);
	g_test_message("sampled 1/%u: %s, %.3f us per zapped page, %" PRIu64
		       " calls; %" PRIu64 " us in total with faults",
		       stride,
		       st.process_madvise ? "process_madvise" : "madvise",
		       st.zap_ns / 1e3 / st.zapped, st.zap_calls,
		       (uffd_bank_now_ns() - t0) / 1000);
	g_assert_false(uffd_track_zap(b.t, stride, 1, stride, NULL));
	uffd_bank_unmap(&b);
}

static void test_private(void)
{
	size_t len = 16 * PAGE;
	GError *err = NULL;
	void *p;

	if (!uffd_bank_usable())
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	g_assert_true(p != MAP_FAILED);
	g_assert_null(uffd_track_new("ram0", p, len, PAGE, 0, &err));
	g_assert_cmpstr(err->message, ==,
			"uffd access tracking needs shared memory "
			"(memory-backend-memfd, or memory-backend-file with "
			"share=on): 'ram0' cannot take MINOR fault "
			"registration (private or anonymous memory)");
	g_clear_error(&err);
	g_assert_null(
		uffd_track_new("ram0", (uint8_t *)p + 1, PAGE, PAGE, 0, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	munmap(p, len);
}

/* A faulter blocked with nobody to resolve it is released by free. */
static void test_teardown(void)
{
	bool one[NPAGES] = { [42] = true };
	Touch tc = { .which = one };
	GThread *th;
	Bank b;

	if (!uffd_bank_usable())
		return;
	bank_init(&b, UFFD_TRACK_NO_HANDLER);
	tc.b = &b;
	zap(&b, 1, 0);
	th = g_thread_new("guest", touch_thread, &tc);
	timescale_sleep_ms(100);
	g_assert_false(tc.done); /* blocked on the fault */
	uffd_track_free(b.t);
	b.t = NULL;
	g_thread_join(th); /* hangs (test timeout) if not released */
	g_assert_true(tc.done);
	g_assert_cmpuint(tc.sum, ==, 42);
	uffd_bank_unmap(&b);
}

/* Several guests on the same pages: EEXIST must wake, nobody hangs. */
static void test_contended(void)
{
	bool all[NPAGES];
	Touch tc[4];
	GThread *th[4];
	UffdTrackStats st;
	unsigned r, i;
	Bank b;

	if (!uffd_bank_usable())
		return;
	bank_init(&b, 0);
	for (i = 0; i < NPAGES; i++)
		all[i] = true;
	for (r = 0; r < 8; r++) {
		zap(&b, 1, 0);
		for (i = 0; i < 4; i++) {
			tc[i] = (Touch){ .b = &b,
					 .which = all,
					 .write = i & 1 };
			th[i] = g_thread_new("guest", touch_thread, &tc[i]);
		}
		for (i = 0; i < 4; i++)
			g_thread_join(th[i]);
		expect(&b, all);
	}
	check_data(&b);
	uffd_track_stats(b.t, &st);
	g_assert_cmpuint(st.errors, ==, 0);
	g_test_message("contended: %" PRIu64 " faults, %" PRIu64 " EEXIST",
		       st.faults, st.eexist);
	uffd_bank_unmap(&b);
}

/* Harvests racing the faults lose no bit: their union is the touched set. */
static void test_harvest_race(void)
{
	bool all[NPAGES], odd[NPAGES];
	unsigned long bits[NWORDS], uni[NWORDS] = { 0 };
	Touch tc = { .which = odd };
	unsigned i, harvests = 0;
	GThread *th;
	Bank b;

	if (!uffd_bank_usable())
		return;
	bank_init(&b, 0);
	for (i = 0; i < NPAGES; i++) {
		all[i] = true;
		odd[i] = i & 1;
	}
	touch(&b, all, false);
	uffd_track_harvest(b.t, bits);
	zap(&b, 1, 0);
	tc.b = &b;
	th = g_thread_new("guest", touch_thread, &tc);
	while (!tc.done) {
		uffd_track_harvest(b.t, bits);
		for (i = 0; i < NWORDS; i++)
			uni[i] |= bits[i];
		harvests++;
	}
	g_thread_join(th);
	uffd_track_harvest(b.t, bits);
	for (i = 0; i < NPAGES; i++) {
		bool got = (uni[i / BPL] | bits[i / BPL]) >> (i % BPL) & 1;

		g_assert_cmpint(got, ==, odd[i]);
	}
	g_test_message("%u harvests during the touches", harvests);
	uffd_bank_unmap(&b);
}

/*
 * Stats once the handler has counted @faults faults (it counts after the
 * faulter was woken, so a read right after a touch may lag); at most 1 s
 * (scaled).
 */
static void stats_settled(Bank *b, uint64_t faults, UffdTrackStats *st)
{
	gint64 end = timescale_deadline(1000);

	for (;;) {
		uffd_track_stats(b->t, st);
		if (st->faults >= faults || g_get_monotonic_time() >= end)
			return;
		g_usleep(1000);
	}
}

/*
 * Pages not in the file yet raise missing faults: recorded like minor
 * ones and filled with zeros; a page kvmage wrote through the alias is
 * there already (a minor fault).  After a zap every page is minor.
 */
static void test_missing(void)
{
	bool some[NPAGES], none[NPAGES] = { 0 };
	UffdTrackStats st;
	GError *err = NULL;
	Bank b;
	unsigned i, nsome = 0;

	if (!uffd_bank_usable())
		return;
	g_assert_true(uffd_bank_map(&b, "uffd-holes", 0, NPAGES * PAGE));
	b.t = uffd_track_new("holes", b.guest, NPAGES * PAGE, PAGE, 0, &err);
	g_assert_no_error(err);
	b.alias[7 * PAGE + 7] = 0x77; /* page 7 exists, the rest are holes */
	for (i = 0; i < NPAGES; i++) {
		some[i] = i % 5 == 2;
		nsome += some[i];
	}
	touch(&b, some, false); /* reads: zeros */
	expect(&b, some);
	stats_settled(&b, nsome, &st);
	g_assert_cmpuint(st.missing, ==, nsome - 1); /* page 7: minor */
	g_assert_cmpuint(st.faults, ==, nsome);
	g_assert_cmpuint(st.errors, ==, 0);
	/* mapped now (writable): writing them is not a fault */
	touch(&b, some, true);
	expect(&b, none);
	for (i = 0; i < NPAGES; i++) {
		uint8_t want = i == 7 ? 0x77 : 0;

		if (some[i])
			g_assert_cmpuint(b.alias[i * PAGE + 7], ==, want);
	}
	/* in the file now: after a zap, faults are minor */
	zap(&b, 1, 0);
	touch(&b, some, false);
	expect(&b, some);
	stats_settled(&b, 2 * nsome, &st);
	g_assert_cmpuint(st.missing, ==, nsome - 1);
	g_assert_cmpuint(st.faults, ==, 2 * nsome);
	uffd_bank_unmap(&b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/uffd-track/full", test_full);
	g_test_add_func("/uffd-track/sampled", test_sampled);
	g_test_add_func("/uffd-track/private", test_private);
	g_test_add_func("/uffd-track/teardown", test_teardown);
	g_test_add_func("/uffd-track/contended", test_contended);
	g_test_add_func("/uffd-track/harvest-race", test_harvest_race);
	g_test_add_func("/uffd-track/missing", test_missing);
	return g_test_run();
}
