/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory workload for aging and reclaim tests, run on CPU 0 in ring 3.
 *
 * -append (all optional):
 *   size=SIZE     data area (default 64M); it starts at the first 2 MiB
 *                 aligned address after the image and must fit in RAM
 *   hot=SIZE      hot set (default size/8), for hotcold and phases
 *   pattern=P     hotcold: each pass touches the hot set (the first `hot`
 *                          bytes); the cold rest is touched only by the fill
 *                 uniform: each pass touches `touches` random pages
 *                 zipf:    like uniform with P(page i) ~ 1/(i+1): a random
 *                          power-of-two bucket [2^k-1, 2^(k+1)-1), k uniform,
 *                          then a uniform page in it; so the hottest pages
 *                          are at the start of the area
 *                 phases:  the hot set moves to the next hot-sized region
 *                          every `phase` passes (wrapping around); with
 *                          phase=0 the host moves it: each pass touches
 *                          region (control word % regions), the control
 *                          word (a uint64_t, 0 at start, its gpa in SYNC
 *                          0) being read once at the start of the pass
 *                 scan:    each pass sweeps the whole area in order
 *   rw=read|write|mixed   mixed writes every other touch
 *   passes=N      (default 8); 0 runs until kvmage stops the VM
 *   phase=N       passes per phase (default 4; 0: moved by the host)
 *   touches=N     touches per uniform/zipf pass (default: pages in area)
 *   seed=N        PRNG seed (default 1)
 *   verify=on|off (default on)
 *   final=on|off  (default: verify) after the last pass (passes > 0),
 *                 check every page of the area; needs verify=on
 *   sweep_gap=MS  (default 0: off) when MS or more passed between two
 *                 touches or two passes (the VM was paused: QMP stop,
 *                 then cont), the pass after it is followed by a sweep:
 *                 one touch of every page of the area in the rw mode
 *                 (checked with verify=on), printing "workload: sweep N"
 *                 on the console; lets a test make the guest touch its
 *                 cold set again on command (needs the TSC frequency)
 *   inject=PAGE   after the fill, clobber the middle word of page PAGE
 *                 (index in the area) so that verification must fail:
 *                 proves the checker works (caught by the first touch of
 *                 that page in any rw mode, or by the final sweep)
 *
 * Page contents: the fill writes every page once (generation 0).  With
 * verify=on a page holds three 64-bit words (at offsets 0, 2048 and 4088)
 * derived from their guest-physical address and the page's generation,
 * kept in a table of one byte per page placed right after the data area
 * (page aligned).  Every touch, read or write, first checks the three
 * words against the page's generation and fails with GUEST_FAIL naming
 * the page, the word's address, the expected and the found value; a
 * write then bumps the generation and rewrites the three words.  The
 * check is part of the touch, so ns_per_touch includes it.  With
 * verify=off a touch reads or writes the first word only.
 *
 * Generation wrap-around: the generation is a uint8_t in the table and in
 * wl_value(), so the writer and the checker always agree on gen mod 256
 * (255 + 1 is 0 on both sides): no false positive at the wrap.
 * wl_value() is injective in (word address, generation): address ^ gen<<56
 * (addresses are below 2^56) is injective, and so are the multiplication
 * by an odd constant and x ^ (x >> 29).  Hence a check passes only if the
 * word holds exactly what was written at this address for this generation
 * mod 256: a zeroed word never passes (the value is 0 only for address 0,
 * which is never in the data area), nor does a word of another page or
 * any older generation, except one exactly a non-zero multiple of 256
 * writes old.  That is the one aliasing a byte allows: a host that kept a
 * stale copy while the guest wrote the live page 256*k times and then put
 * the copy back.  A page lost or zeroed is caught at its next touch or by
 * the final sweep.
 *
 * Progress: with pattern=phases phase=0 only, GUEST_SYNC(0, control word
 * gpa) first; GUEST_SYNC(1, data gpa, size, hot bytes, generation table
 * gpa, pages) after the fill, GUEST_SYNC(2 + pass, pass, pages touched so far,
 * cycles of the pass) after each pass (passes count from 0; touches of
 * the fill and of the final sweep are not counted).  At the end:
 * GUEST_REPORT "pages_touched= ns_per_touch= max_gap_ns= max_gap_cycles=
 * corrupt=0 ... verified_pages=" where max gap is the largest TSC
 * difference between two consecutive touches within a pass (the time
 * spent in SYNCs is not included) and verified_pages the pages the final
 * sweep checked (0 without it), then exit 0.
 */
#include <stdbool.h>
#include <stdint.h>

#include "guest/args.h"
#include "guest/crt.h"
#include "guest/io.h"
#include "guest/layout.h"
#include "guest/rand.h"
#include "guest/string.h"
#include "guest/tsc.h"
#include "guest/ucall.h"

enum wl_pattern {
	WL_HOTCOLD,
	WL_UNIFORM,
	WL_ZIPF,
	WL_PHASES,
	WL_SCAN
};
enum wl_rw {
	WL_READ,
	WL_WRITE,
	WL_MIXED
};

static const char *const wl_pattern_names[] = {
	"hotcold", "uniform", "zipf", "phases", "scan",
};
static const char *const wl_rw_names[] = { "read", "write", "mixed" };

#define WL_WORDS 3
static const unsigned int wl_word_index[WL_WORDS] = { 0, 256, 511 };
#define WL_FINAL UINT64_MAX /* "pass" of the final sweep */

struct workload {
	uint64_t *data;
	uint64_t nr_pages;
	uint64_t hot_pages;
	uint8_t *gen;
	enum wl_pattern pattern;
	enum wl_rw rw;
	bool verify;
	bool final;
	uint64_t passes;
	uint64_t phase;
	uint64_t touches;
	uint64_t zipf_buckets;
	uint64_t region;    /* phases: hot region of the current pass */
	uint64_t inject;    /* page to clobber, UINT64_MAX: none */
	uint64_t sweep_gap; /* cycles of a pause that asks for a sweep */
	uint64_t last_tsc;  /* end of the previous pass */
	uint64_t sweeps;
	struct rng rng;

	uint64_t touched; /* touches in passes */
	uint64_t cycles;  /* cycles of all passes */
	uint64_t max_gap;
	uint64_t fill_cycles;
	uint64_t corrupt;
	uint64_t verified; /* pages checked by the final sweep */
	uint64_t sink;
};

static volatile uint64_t wl_sink;
/* phases with phase=0: the hot region, written by the host */
static volatile uint64_t wl_control;

static unsigned int wl_lookup(const char *key, const char *const *names,
			      unsigned int n, unsigned int def)
{
	const char *s = arg_get_str(key);

	if (!s)
		return def;
	for (unsigned int i = 0; i < n; i++) {
		if (!strcmp(s, names[i]))
			return i;
	}
	GUEST_FAIL("unknown %s '%s'", key, s);
}

static void wl_configure(struct workload *w)
{
	uint64_t size = arg_get_u64("size", 64ULL << 20);
	uint64_t hot = arg_get_u64("hot", size / 8);

	w->pattern = wl_lookup("pattern", wl_pattern_names, 5, WL_HOTCOLD);
	w->rw = wl_lookup("rw", wl_rw_names, 3, WL_WRITE);
	w->verify = arg_get_bool("verify", true);
	w->final = arg_get_bool("final", w->verify);
	w->passes = arg_get_u64("passes", 8);
	w->phase = arg_get_u64("phase", 4);
	w->nr_pages = size / PAGE_SIZE;
	w->hot_pages = hot / PAGE_SIZE;
	w->touches = arg_get_u64("touches", w->nr_pages);
	rng_seed(&w->rng, arg_get_u64("seed", 1));

	GUEST_ASSERT_MSG(w->nr_pages > 0, "size=%lu is below a page", size);
	GUEST_ASSERT_MSG(w->hot_pages > 0 && w->hot_pages <= w->nr_pages,
			 "hot=%lu must be 1 page..size", hot);
	GUEST_ASSERT_MSG(w->phase > 0 || w->pattern == WL_PHASES,
			 "phase=0 is for pattern=phases only");
	GUEST_ASSERT_MSG(!w->final || w->verify, "final=on needs verify=on");
	w->inject = arg_get_u64("inject", UINT64_MAX);
	w->sweep_gap = arg_get_u64("sweep_gap", 0);
	GUEST_ASSERT_MSG(!w->sweep_gap || tsc_khz(),
			 "sweep_gap needs the TSC frequency");
	w->sweep_gap = w->sweep_gap ? tsc_ms_to_cycles(w->sweep_gap) : 0;
	GUEST_ASSERT_MSG(w->inject == UINT64_MAX || w->inject < w->nr_pages,
			 "inject=%lu beyond the last page", w->inject);
	while (w->zipf_buckets < 63 &&
	       (1ULL << w->zipf_buckets) - 1 < w->nr_pages)
		w->zipf_buckets++;

	w->data = layout_data_area(w->nr_pages * PAGE_SIZE,
				   w->verify ? w->nr_pages : 0);
	w->gen = (uint8_t *)w->data + w->nr_pages * PAGE_SIZE;
}

/* Injective in (word address, gen) and never 0: see the top comment. */
static inline uint64_t wl_value(const uint64_t *word, uint8_t gen)
{
	uint64_t x = ((uintptr_t)word ^ ((uint64_t)gen << 56)) *
		     0x9e3779b97f4a7c15ULL;

	return x ^ (x >> 29);
}

static inline uint64_t *wl_page(struct workload *w, uint64_t page)
{
	return w->data + page * (PAGE_SIZE / sizeof(uint64_t));
}

static void wl_set(struct workload *w, uint64_t page, uint8_t gen)
{
	uint64_t *p = wl_page(w, page);

	w->gen[page] = gen;
	for (int i = 0; i < WL_WORDS; i++) {
		uint64_t *word = &p[wl_word_index[i]];

		WRITE_ONCE(*word, wl_value(word, gen));
	}
}

static void __attribute__((noinline, cold))
wl_corrupt(struct workload *w, uint64_t page, const uint64_t *word,
	   uint64_t expected, uint64_t found, uint64_t pass)
{
	char when[32];

	w->corrupt++;
	if (pass == WL_FINAL)
		snprintf(when, sizeof(when), "final sweep");
	else
		snprintf(when, sizeof(when), "pass %lu", pass);
	GUEST_FAIL("corrupt page %lu at gpa %p: word at gpa %p expected %#lx "
		   "found %#lx (generation %u, %s)",
		   page, (void *)wl_page(w, page), (void *)word, expected,
		   found, w->gen[page], when);
}

/* Check the three words of @page (in @pass or WL_FINAL) against its gen. */
static inline void wl_check(struct workload *w, uint64_t page, uint64_t pass)
{
	uint64_t *p = wl_page(w, page);
	uint8_t gen = w->gen[page];

	for (int i = 0; i < WL_WORDS; i++) {
		uint64_t *word = &p[wl_word_index[i]];
		uint64_t found = READ_ONCE(*word);
		uint64_t expected = wl_value(word, gen);

		if (found != expected)
			wl_corrupt(w, page, word, expected, found, pass);
	}
}

/* One touch of @page in pass @pass: check first, then maybe write. */
static inline void wl_touch(struct workload *w, uint64_t page, bool write,
			    uint64_t pass)
{
	uint64_t *p;

	if (w->verify) {
		wl_check(w, page, pass);
		if (write)
			wl_set(w, page, w->gen[page] + 1);
		return;
	}
	p = wl_page(w, page);
	if (write)
		WRITE_ONCE(p[0], pass + page);
	else
		w->sink += READ_ONCE(p[0]);
}

static inline uint64_t wl_pick(struct workload *w, uint64_t i)
{
	uint64_t k, lo, hi;

	switch (w->pattern) {
	case WL_UNIFORM:
		return rng_below(&w->rng, w->nr_pages);
	case WL_ZIPF:
		k = rng_below(&w->rng, w->zipf_buckets);
		lo = (1ULL << k) - 1;
		hi = (2ULL << k) - 1;
		if (hi > w->nr_pages)
			hi = w->nr_pages;
		return lo + rng_below(&w->rng, hi - lo);
	case WL_PHASES:
		return w->region * w->hot_pages + i;
	default: /* hotcold, scan */
		return i;
	}
}

static uint64_t wl_pass_len(const struct workload *w)
{
	switch (w->pattern) {
	case WL_HOTCOLD:
	case WL_PHASES:
		return w->hot_pages;
	case WL_UNIFORM:
	case WL_ZIPF:
		return w->touches;
	default:
		return w->nr_pages;
	}
}

static void wl_fill(struct workload *w)
{
	uint64_t start = rdtsc_ordered();

	for (uint64_t page = 0; page < w->nr_pages; page++) {
		if (w->verify)
			wl_set(w, page, 0);
		else
			WRITE_ONCE(wl_page(w, page)[0], page);
	}
	w->fill_cycles = rdtsc_ordered() - start;
	if (w->inject != UINT64_MAX)
		WRITE_ONCE(wl_page(w, w->inject)[wl_word_index[1]], 0);
}

/* Every page once, in the rw mode of the passes: after a pause. */
static void wl_sweep(struct workload *w, uint64_t pass)
{
	for (uint64_t page = 0; page < w->nr_pages; page++)
		wl_touch(w, page,
			 w->rw == WL_WRITE || (w->rw == WL_MIXED && (page & 1)),
			 pass);
	w->sweeps++;
	GUEST_PRINTF("workload: sweep %lu\n", w->sweeps);
}

/* One pass; returns its cycles. */
static uint64_t wl_pass(struct workload *w, uint64_t pass)
{
	uint64_t n = wl_pass_len(w);
	uint64_t start, prev, now, gap, page, pause;
	uint64_t regions = w->nr_pages / w->hot_pages;
	bool write;

	if (w->pattern == WL_PHASES)
		w->region =
			(w->phase ? pass / w->phase : READ_ONCE(wl_control)) %
			regions;
	start = rdtsc();
	prev = start;
	pause = w->last_tsc ? start - w->last_tsc : 0;

	for (uint64_t i = 0; i < n; i++) {
		page = wl_pick(w, i);
		write = w->rw == WL_WRITE ||
			(w->rw == WL_MIXED && ((i + pass) & 1));
		wl_touch(w, page, write, pass);
		now = rdtsc();
		gap = now - prev;
		prev = now;
		if (gap > w->max_gap)
			w->max_gap = gap;
		if (gap > pause)
			pause = gap;
	}
	w->touched += n;
	if (w->sweep_gap && pause >= w->sweep_gap)
		wl_sweep(w, pass);
	w->last_tsc = rdtsc();
	return prev - start;
}

/* After the last pass: check every page of the area. */
static void wl_final(struct workload *w)
{
	for (uint64_t page = 0; page < w->nr_pages; page++) {
		wl_check(w, page, WL_FINAL);
		w->verified++;
	}
}

static void wl_report(struct workload *w, uint64_t passes)
{
	char ns[32], cyc[32], gap_ns[32], fill_ns[32];

	if (tsc_khz()) {
		snprintf(gap_ns, sizeof(gap_ns), "%lu", tsc_to_ns(w->max_gap));
		snprintf(fill_ns, sizeof(fill_ns), "%lu",
			 tsc_to_ns(w->fill_cycles));
	} else {
		snprintf(gap_ns, sizeof(gap_ns), "na");
		snprintf(fill_ns, sizeof(fill_ns), "na");
	}
	GUEST_REPORT("pages_touched=%lu ns_per_touch=%s max_gap_ns=%s "
		     "max_gap_cycles=%lu corrupt=%lu passes=%lu "
		     "cycles_per_touch=%s fill_pages=%lu fill_ns=%s "
		     "tsc_khz=%lu sweeps=%lu verified_pages=%lu",
		     w->touched,
		     fmt_ns_per(ns, sizeof(ns), w->cycles, w->touched), gap_ns,
		     w->max_gap, w->corrupt, passes,
		     fmt_ratio(cyc, sizeof(cyc), w->cycles, w->touched),
		     w->nr_pages, fill_ns, tsc_khz(), w->sweeps, w->verified);
}

int guest_main(void)
{
	struct workload w = { 0 };
	uint64_t pass, cycles;

	wl_configure(&w);
	GUEST_PRINTF("workload: %lu pages at %p, hot %lu, pattern=%s rw=%s "
		     "passes=%lu verify=%s final=%s\n",
		     w.nr_pages, (void *)w.data, w.hot_pages,
		     wl_pattern_names[w.pattern], wl_rw_names[w.rw], w.passes,
		     w.verify ? "on" : "off", w.final ? "on" : "off");
	if (w.pattern == WL_PHASES && !w.phase)
		GUEST_SYNC_ARGS(0, (uintptr_t)&wl_control);
	wl_fill(&w);
	GUEST_SYNC_ARGS(1, (uintptr_t)w.data, w.nr_pages * PAGE_SIZE,
			w.hot_pages * PAGE_SIZE,
			w.verify ? (uintptr_t)w.gen : (uintptr_t)0, w.nr_pages);
	for (pass = 0; w.passes == 0 || pass < w.passes; pass++) {
		cycles = wl_pass(&w, pass);
		w.cycles += cycles;
		GUEST_SYNC_ARGS(2 + pass, pass, w.touched, cycles);
	}
	if (w.final && pass > 0)
		wl_final(&w);
	wl_sink = w.sink;
	wl_report(&w, pass);
	return 0;
}
