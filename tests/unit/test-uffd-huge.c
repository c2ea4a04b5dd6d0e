/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * userfaultfd MINOR-fault access tracking on a hugetlb memfd (2 MiB pages):
 * one tracking unit per huge page.  Zapping drops whole huge pages and
 * keeps their data; touching any 4 KiB of a zapped huge page raises one
 * fault that maps the whole huge page back, so further touches in it are
 * free; sampled zapping selects huge pages by index; a huge page not in
 * the file yet takes one missing fault, recorded and zero-filled.  Prints
 * the fault round trip per huge page.  Skips when userfaultfd or enough
 * free huge pages are missing (make check-setup reserves them as root).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/memfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "memory/uffd-track.h"
#include "uffd-bank.h"
#include "../hugepage-util.h"
#include "util/error.h"
#include "../timescale.h"

#define HPAGE	(2u << 20)
#define NHUGE	8u /* 16 MiB */
#define SMALL	4096u
#define PER_HP	(HPAGE / SMALL)
#define TOUCHES 5u  /* 4 KiB pages touched per huge page */
#define ROUNDS	32u /* zap/touch rounds timed */

/* The byte every 4 KiB page @k of the bank holds. */
static uint8_t pattern(unsigned k)
{
	return (k * 7 + 3) & 0xff;
}

/* A hugetlb memfd mapped twice, filled through the alias; false: skip. */
static bool bank_init_fill(Bank *b, bool fill)
{
	GError *err = NULL;

	if (!uffd_bank_usable() || !hugepages_or_skip(NHUGE))
		return false;
	if (!uffd_bank_map(b, "uffd-huge", MFD_HUGETLB | MFD_HUGE_2MB,
			   NHUGE * HPAGE)) {
		/* another test took the huge pages meanwhile */
		g_test_skip("cannot map 8 huge pages (ENOMEM)");
		return false;
	}
	for (unsigned k = 0; fill && k < NHUGE * PER_HP; k++)
		memset(b->alias + (uint64_t)k * SMALL, pattern(k), SMALL);
	b->t = uffd_track_new("huge0", b->guest, NHUGE * HPAGE, HPAGE, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(uffd_track_npages(b->t), ==, NHUGE);
	return true;
}

static bool bank_init(Bank *b)
{
	return bank_init_fill(b, true);
}

typedef struct Touch {
	Bank *b;
	unsigned mask;	/* huge pages to touch, bit i: huge page i */
	unsigned every; /* touch TOUCHES 4 KiB pages (0) or every one */
	bool write;
	uint64_t bad; /* 4 KiB pages whose byte was not the pattern */
	uint64_t ns;  /* wall time of the first touch of each page */
} Touch;

static void touch_one(Touch *tc, unsigned k)
{
	volatile uint8_t *p = tc->b->guest + (uint64_t)k * SMALL + 11;

	if (*p != pattern(k))
		tc->bad++;
	if (tc->write)
		*p = pattern(k);
}

/* The guest: touch 4 KiB pages of the huge pages in @mask. */
static gpointer touch_thread(gpointer opaque)
{
	Touch *tc = opaque;

	for (unsigned i = 0; i < NHUGE; i++) {
		uint64_t t0;

		if (!(tc->mask >> i & 1))
			continue;
		t0 = uffd_bank_now_ns();
		touch_one(tc, i * PER_HP + 17);
		tc->ns += uffd_bank_now_ns() - t0;
		for (unsigned j = 0; j < (tc->every ? PER_HP : TOUCHES); j++)
			touch_one(tc,
				  i * PER_HP +
					  (tc->every ? j : j * 97 % PER_HP));
	}
	return NULL;
}

static Touch touch(Bank *b, unsigned mask, bool write, bool every)
{
	Touch tc = { .b = b, .mask = mask, .write = write, .every = every };

	g_thread_join(g_thread_new("guest", touch_thread, &tc));
	g_assert_cmpuint(tc.bad, ==, 0);
	return tc;
}

static void zap(Bank *b, unsigned stride, unsigned phase)
{
	GError *err = NULL;

	g_assert_true(uffd_track_zap(b->t, stride, 1, phase, &err));
	g_assert_no_error(err);
}

/* Harvest: exactly the huge pages of @mask are accessed. */
static void expect(Bank *b, unsigned mask)
{
	unsigned long bits[1];

	g_assert_cmpuint(uffd_track_harvest(b->t, bits), ==,
			 __builtin_popcount(mask));
	g_assert_cmphex(bits[0], ==, mask);
}

/*
 * Faults resolved so far, once the handler has counted @want of them: it
 * counts after UFFDIO_CONTINUE has woken the faulter, so a count read
 * right after a touch may lag.  Waits at most 1 s (scaled); more is not
 * waited for, so an excess shows.
 */
static uint64_t faults(Bank *b, uint64_t want)
{
	gint64 end = timescale_deadline(1000);
	UffdTrackStats st;

	for (;;) {
		uffd_track_stats(b->t, &st);
		if (st.faults + st.eexist >= want ||
		    g_get_monotonic_time() >= end)
			break;
		g_usleep(1000);
	}
	g_assert_cmpuint(st.errors, ==, 0);
	return st.faults + st.eexist;
}

static void test_full(void)
{
	const unsigned all = (1u << NHUGE) - 1;
	uint64_t f0, ns = 0;
	Touch tc;
	Bank b;

	if (!bank_init(&b))
		return;
	/* the guest mapping starts empty: first touches fault, once each */
	touch(&b, all, false, false);
	expect(&b, all);
	g_assert_cmpuint(faults(&b, NHUGE), ==, NHUGE);

	/* zap all, touch 2 huge pages at several 4 KiB pages each */
	zap(&b, 1, 0);
	f0 = faults(&b, NHUGE);
	touch(&b, 0x0a, false, false);
	expect(&b, 0x0a);
	g_assert_cmpuint(faults(&b, f0 + 2) - f0, ==, 2);
	/* mapped back whole: every 4 KiB of them, read and written, free */
	touch(&b, 0x0a, true, true);
	expect(&b, 0);
	timescale_sleep_ms(10); /* time for a wrong extra count to show */
	g_assert_cmpuint(faults(&b, f0 + 2) - f0, ==, 2);

	/* writes are seen; data written by the guest is in the file */
	zap(&b, 1, 0);
	touch(&b, 0x81, true, false);
	expect(&b, 0x81);
	/* a whole sweep through every 4 KiB page finds the data intact */
	zap(&b, 1, 0);
	touch(&b, all, false, true);
	expect(&b, all);
	for (unsigned k = 0; k < NHUGE * PER_HP; k++)
		g_assert_cmpuint(b.alias[(uint64_t)k * SMALL + SMALL - 1], ==,
				 pattern(k));

	/* the round trip of one huge-page fault, over ROUNDS zaps */
	for (unsigned r = 0; r < ROUNDS; r++) {
		zap(&b, 1, 0);
		tc = touch(&b, all, false, false);
		expect(&b, all);
		ns += tc.ns;
	}
	g_test_message("hugetlb fault round trip: %.1f us per 2 MiB page "
		       "(%u faults)",
		       ns / 1e3 / (ROUNDS * NHUGE), ROUNDS * NHUGE);
	uffd_bank_unmap(&b);
}

/* Sampled zapping picks huge pages by index: i % stride == phase. */
static void test_sampled(void)
{
	const unsigned all = (1u << NHUGE) - 1;
	UffdTrackStats st;
	Bank b;

	if (!bank_init(&b))
		return;
	touch(&b, all, false, false);
	expect(&b, all);
	for (unsigned k = 0; k < 4; k++) {
		unsigned want = 0;

		for (unsigned i = k; i < NHUGE; i += 4)
			want |= 1u << i;
		zap(&b, 4, k);
		touch(&b, all, k & 1, false);
		expect(&b, want);
	}
	uffd_track_stats(b.t, &st);
	g_assert_cmpuint(st.zapped, ==, NHUGE);
	g_test_message("sampled: %s, %.1f us per zapped huge page",
		       st.process_madvise ? "process_madvise" : "madvise",
		       st.zap_ns / 1e3 / st.zapped);
	uffd_bank_unmap(&b);
}

/*
 * Huge pages not in the file yet: one missing fault each, recorded, the
 * page filled with zeros (UFFDIO_COPY of a zero page); a huge page kvmage
 * wrote through the alias takes a minor fault instead.
 */
static void test_missing(void)
{
	volatile uint8_t *p;
	unsigned long bits[1];
	UffdTrackStats st;
	Bank b;

	if (!bank_init_fill(&b, false))
		return;
	b.alias[5 * HPAGE + 3] = 0x55;
	/* the "guest" reads huge pages 1 and 5 at two places each */
	p = b.guest;
	g_assert_cmpuint(p[1 * HPAGE + 100], ==, 0);
	g_assert_cmpuint(p[1 * HPAGE + HPAGE - 1], ==, 0);
	g_assert_cmpuint(p[5 * HPAGE + 3], ==, 0x55);
	g_assert_cmpuint(p[5 * HPAGE + 4096 * 9], ==, 0);
	p[1 * HPAGE + 200] = 0x11; /* mapped writable: no fault */
	g_assert_cmpuint(b.alias[1 * HPAGE + 200], ==, 0x11);
	g_assert_cmpuint(uffd_track_harvest(b.t, bits), ==, 2);
	g_assert_cmphex(bits[0], ==, 0x22);
	g_assert_cmpuint(faults(&b, 2), ==, 2);
	uffd_track_stats(b.t, &st);
	g_assert_cmpuint(st.faults, ==, 2);
	g_assert_cmpuint(st.missing, ==, 1);
	g_assert_cmpuint(st.errors, ==, 0);
	uffd_bank_unmap(&b);
}

/* A range that is not whole huge pages is refused. */
static void test_unaligned(void)
{
	GError *err = NULL;
	Bank b;

	if (!bank_init(&b))
		return;
	g_assert_null(uffd_track_new("huge1", b.guest, HPAGE + SMALL, HPAGE, 0,
				     &err));
	g_assert_nonnull(strstr(err->message, "not aligned"));
	g_clear_error(&err);
	g_assert_null(uffd_track_new("huge1", b.guest + SMALL, HPAGE, HPAGE, 0,
				     &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	uffd_bank_unmap(&b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/uffd-huge/full", test_full);
	g_test_add_func("/uffd-huge/sampled", test_sampled);
	g_test_add_func("/uffd-huge/unaligned", test_unaligned);
	g_test_add_func("/uffd-huge/missing", test_missing);
	return g_test_run();
}
