/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/reclaim: throughput of reclaim to swap (zram here), in GiB/s of
 * cold memory put in swap, for three ways of paging out the cold part of
 * a region with a known cold fraction, interleaved in the same run:
 *
 *   kvmage   reclaim_run() (the memory-reclaim job's engine without the
 *            job): plan from the aging's ages, residency and re-check of
 *            every piece, io_uring madvise batches of merged cold runs,
 *            residency of the result.  Everything it does is timed.
 *   whole    one MADV_PAGEOUT over the whole region, hot pages included:
 *            the upper bound (throughput counts every byte swapped).
 *   naive    one madvise(MADV_PAGEOUT) per cold 4 KiB page.
 *
 * The region ("guest RAM": an anonymous private mapping, THP off so every
 * method swaps 4 KiB pages) holds data that compresses about 2:1 (random
 * bytes in alternate halves of each word).  The hot set is HOT of every
 * STRIDE bytes, so the cold set comes in runs of STRIDE - HOT bytes; the
 * aging is fed one scan marking the hot set after the fill, then idle
 * scans, as the harvest thread would.  Before each round every page is
 * rewritten (swapped back in).  Goal (issue 5): kvmage >= 80% of whole.
 *
 * Usage: reclaim [--size MiB] [--rounds N] [--cold-pct P]
 * Exit: 0, 1 on error, 77 without swap.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <glib.h>

#include "aging/aging.h"
#include "reclaim/reclaim.h"
#include "memory/residency.h"

#define PG   ((uint64_t)4096)
#define MiB  ((uint64_t)1 << 20)
#define GPA  0x40000000ULL
#define IVAL 100
#define BPL  (8 * sizeof(unsigned long))

static const AgingCoverage cov = { "bench", true, true, 1.0, NULL };

typedef struct Bench {
	uint64_t size, stride, hot; /* bytes */
	uint8_t *mem;
	HostMemBackend be;
	RamList ram;
	Aging *a;
	uint64_t seed;
} Bench;

static bool is_hot(Bench *b, uint64_t off)
{
	return off % b->stride < b->hot;
}

static void bench_fill(Bench *b)
{
	uint64_t x = ++b->seed * 0x9e3779b97f4a7c15ULL;

	for (uint64_t *p = (uint64_t *)b->mem;
	     p < (uint64_t *)(b->mem + b->size); p++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		*p = x & 0x00ff00ff00ff00ffULL;
	}
}

static void bench_scan(Bench *b, bool hot)
{
	uint64_t n = b->size / PG;
	g_autofree unsigned long *bm = g_new0(unsigned long, n / BPL + 1);
	AgingCost cost = { 0 };

	for (uint64_t i = 0; hot && i < n; i++)
		if (is_hot(b, i * PG))
			bm[i / BPL] |= 1UL << (i % BPL);
	if (!aging_scan_begin(b->a, 1))
		abort();
	aging_update(b->a, GPA, bm, n);
	aging_scan_end(b->a, &cost);
}

/* Bytes of the region in swap ([0]: cold part, [1]: hot part). */
static void bench_swapped(Bench *b, uint64_t out[2])
{
	uint64_t n = b->size / PG;
	g_autofree unsigned long *sw = g_new0(unsigned long, n / BPL + 1);
	g_autoptr(GError) err = NULL;

	if (!residency_bitmap(b->ram.head, 0, b->size, NULL, sw, &err))
		g_error("%s", err->message);
	out[0] = out[1] = 0;
	for (uint64_t i = 0; i < n; i++)
		if (sw[i / BPL] >> (i % BPL) & 1)
			out[is_hot(b, i * PG)] += PG;
}

static double now_s(void)
{
	return g_get_monotonic_time() / 1e6;
}

static double run_kvmage(Bench *b, uint64_t *swapped)
{
	ReclaimTarget t = { "bench", &b->ram, &b->be, b->a };
	ReclaimParams p = { .min_age_ms = 2 * IVAL, .advice = MADV_PAGEOUT };
	ReclaimHooks h = { 0 };
	g_autoptr(GError) err = NULL;
	ReclaimStats st;
	double t0;

	/* cold: idle for 4+ scans; hot: written one scan ago */
	for (int i = 0; i < 3; i++)
		bench_scan(b, false);
	bench_scan(b, true);
	bench_scan(b, false);
	t0 = now_s();
	if (!reclaim_run(&t, &p, &h, NULL, &st, &err))
		g_error("%s", err->message);
	t0 = now_s() - t0;
	*swapped = st.swapped;
	return t0;
}

static double run_whole(Bench *b, uint64_t *swapped)
{
	double t0 = now_s();

	if (madvise(b->mem, b->size, MADV_PAGEOUT))
		g_error("madvise: %s", g_strerror(errno));
	t0 = now_s() - t0;
	*swapped = 0; /* counted by the caller from residency */
	return t0;
}

static double run_naive(Bench *b, uint64_t *swapped)
{
	double t0 = now_s();

	for (uint64_t off = 0; off < b->size; off += PG)
		if (!is_hot(b, off) && madvise(b->mem + off, PG, MADV_PAGEOUT))
			g_error("madvise: %s", g_strerror(errno));
	t0 = now_s() - t0;
	*swapped = 0;
	return t0;
}

typedef double (*RunFn)(Bench *b, uint64_t *swapped);

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;

	return a < c ? -1 : a > c;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "kvmage", "whole", "naive" };
	static const RunFn fns[] = { run_kvmage, run_whole, run_naive };
	gint size_mb = 1024, rounds = 5, cold_pct = 75;
	GOptionEntry opts[] = {
		{ "size", 0, 0, G_OPTION_ARG_INT, &size_mb, "MiB", "N" },
		{ "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "rounds", "N" },
		{ "cold-pct", 0, 0, G_OPTION_ARG_INT, &cold_pct, "cold %",
		  "P" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("");
	g_autoptr(GError) err = NULL;
	double gibs[3][64], med[3];
	ReclaimSwap sw;
	Bench b = { 0 };

	g_option_context_add_main_entries(ctx, opts, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || rounds < 1 ||
	    rounds > 64 || cold_pct < 1 || cold_pct > 99) {
		fprintf(stderr, "reclaim: bad arguments\n");
		return 1;
	}
	b.size = (uint64_t)size_mb * MiB;
	if (!reclaim_swap_read(&sw, NULL) || sw.free < 2 * b.size) {
		printf("reclaim: skip: needs %" PRIu64 " MiB of free swap\n",
		       2 * b.size / MiB);
		return 77;
	}
	b.stride = 256 * 1024;
	b.hot = b.stride * (100 - cold_pct) / 100 / PG * PG;
	b.mem = mmap(NULL, b.size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b.mem == MAP_FAILED || madvise(b.mem, b.size, MADV_NOHUGEPAGE))
		g_error("mmap: %s", g_strerror(errno));
	b.be = (HostMemBackend){ .id = "bench",
				 .size = b.size,
				 .fd = -1,
				 .host = b.mem,
				 .page_size = PG,
				 .allocated = true };
	ram_list_init(&b.ram);
	if (!ram_bank_add(&b.ram, RAM_BANK_RAM, GPA, b.size, &b.be, 0, &err))
		g_error("%s", err->message);
	b.a = aging_new("bench", &b.ram, NULL, IVAL, &cov, &err);
	if (!b.a)
		g_error("%s", err->message);
	aging_set_watching(b.a, true); /* fed by hand */
	printf("region %d MiB, cold %d%% in runs of %" PRIu64
	       " KiB, %d rounds, swap %s\n",
	       size_mb, cold_pct, (b.stride - b.hot) / 1024, rounds,
	       "zram (see /proc/swaps)");
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < 3; k++) {
			int m = (k + r) % 3; /* rotate the order */
			uint64_t sw2[2], counted;
			double s;

			bench_fill(&b);
			s = fns[m](&b, &counted);
			bench_swapped(&b, sw2);
			/* whole counts everything it swapped; others the cold */
			counted = m == 1 ? sw2[0] + sw2[1] : sw2[0];
			gibs[m][r] = counted / s / (1 << 30);
			printf("  round %d %-6s %7.3f s  cold swapped %5" PRIu64
			       " MiB  hot swapped %4" PRIu64
			       " MiB  %6.3f GiB/s\n",
			       r, names[m], s, sw2[0] / MiB, sw2[1] / MiB,
			       gibs[m][r]);
		}
	}
	for (int m = 0; m < 3; m++) {
		qsort(gibs[m], rounds, sizeof(double), cmp_double);
		med[m] = gibs[m][rounds / 2];
	}
	printf("median GiB/s: kvmage %.3f  whole %.3f  naive %.3f  "
	       "kvmage/whole %.2f (goal >= 0.80)  kvmage/naive %.2f\n",
	       med[0], med[1], med[2], med[0] / med[1], med[0] / med[2]);
	aging_free(b.a);
	ram_list_destroy(&b.ram);
	munmap(b.mem, b.size);
	return 0;
}
