/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The uffd aging backend: harvest the per-bank UffdTracks into the aging
 * core, then re-arm the next sample.  See include/accel/uffd-aging.h.
 */
#include <string.h>
#include <time.h>

#include "accel/uffd-aging.h"
#include "backends/hostmem.h"
#include "util/error.h"
#include "util/bitmap.h"

#define UFFD_AGING_CLUSTERS  128 /* sampling blocks per phase, at least */
#define UFFD_AGING_BLOCK_MAX 512 /* units per block, at most */

typedef struct UffdAgingBank {
	RamBank *bank;
	UffdTrack *t;
} UffdAgingBank;

struct UffdAging {
	Aging *a;
	unsigned sample;
	unsigned block;	      /* units per sampling block */
	unsigned phase;	      /* sample zapped by the last scan */
	GArray *banks;	      /* UffdAgingBank */
	unsigned long *units; /* harvest buffer: a bit per tracking page */
	unsigned long *bits;  /* the same in 4 KiB pages (huge-page banks) */
};

const AgingCoverage uffd_aging_full_coverage = {
	.backend = "uffd",
	.reads = true,
	.writes = true,
	.sampled = 1.0,
	.note = NULL,
};

AgingCoverage uffd_aging_coverage(unsigned sample)
{
	AgingCoverage c = uffd_aging_full_coverage;

	if (sample > 1) {
		c.sampled = 1.0 / sample;
		c.note = "sampled: 1 block of pages in 1/sampled-fraction is "
			 "re-armed per scan; a page is proven idle from its "
			 "first re-arming after its last access (up to that "
			 "many intervals late: proven-cold-bytes); cold bytes "
			 "and histogram below that many intervals are "
			 "estimated from one sample (+- cold-bytes-error, "
			 "error-bytes, 95%)";
	}
	return c;
}

static uint64_t uffd_aging_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool uffd_aging_add(UffdAging *ua, RamBank *b, uint64_t *maxpages,
			   GError **errp)
{
	UffdAgingBank ub = { .bank = b };
	g_autofree char *name = NULL;

	name = g_strdup_printf("%s@0x%" G_GINT64_MODIFIER "x",
			       b->backend ? b->backend->id : "ram", b->gpa);
	/* kvmage's own accesses must not fault: they need the alias. */
	if (!b->host_alias) {
		error_setg(errp,
			   "uffd access tracking needs shared memory with a "
			   "file behind it (memory-backend-memfd, or "
			   "memory-backend-file with share=on): '%s' has no "
			   "alias for kvmage's own accesses",
			   name);
		return false;
	}
	ub.t = uffd_track_new(name, b->host, b->size, b->page_size, 0, errp);
	if (!ub.t)
		return false;
	g_array_append_val(ua->banks, ub);
	*maxpages = MAX(*maxpages, b->size >> PAGE_SHIFT);
	/* Arm everything: from now on every unit's idleness is proven. */
	return uffd_track_zap(ub.t, 1, 1, 0, errp);
}

/*
 * Units per sampling block: about UFFD_AGING_CLUSTERS blocks per phase,
 * so a scan zaps that many ranges whatever the size, and the estimate
 * still has that many clusters.  A power of two, 1 to UFFD_AGING_BLOCK_MAX.
 */
static unsigned uffd_aging_block(UffdAging *ua, unsigned sample)
{
	uint64_t units = 0, per;
	unsigned block = 1;

	if (sample <= 1)
		return 1;
	for (guint i = 0; i < ua->banks->len; i++) {
		RamBank *b = g_array_index(ua->banks, UffdAgingBank, i).bank;

		units += b->size / b->page_size;
	}
	per = units / ((uint64_t)sample * UFFD_AGING_CLUSTERS);
	while (block * 2 <= per && block < UFFD_AGING_BLOCK_MAX)
		block *= 2;
	return block;
}

/* The AgingArmFn: zap [gpa, gpa + size).  Aging lock held (no scan). */
static bool uffd_aging_arm(void *opaque, uint64_t gpa, uint64_t size,
			   GError **errp)
{
	UffdAging *ua = opaque;

	for (guint i = 0; i < ua->banks->len; i++) {
		UffdAgingBank *ub = &g_array_index(ua->banks, UffdAgingBank, i);
		RamBank *b = ub->bank;
		uint64_t lo = MAX(gpa, b->gpa);
		uint64_t hi = MIN(gpa + size, b->gpa + b->size);

		if (lo >= hi)
			continue;
		if (!uffd_track_zap_range(ub->t, (lo - b->gpa) / b->page_size,
					  (hi - lo) / b->page_size, errp))
			return false;
	}
	return true;
}

/*
 * Feed the harvest of @ub into the aging core, whose bitmaps count 4 KiB
 * pages: tracking page i of a huge-page bank becomes the first 4 KiB bit
 * of its huge page (the core writes one age per huge page).  O(words of
 * the 4 KiB bitmap + set bits).  Harvest thread, Aging lock held.
 */
static void uffd_aging_feed(UffdAging *ua, UffdAgingBank *ub)
{
	uint64_t n = uffd_track_npages(ub->t), w, nw;
	unsigned shift = __builtin_ctzll(ub->bank->page_size) - PAGE_SHIFT;

	uffd_track_harvest(ub->t, ua->units);
	if (!shift) {
		aging_update(ua->a, ub->bank->gpa, ua->units, n);
		return;
	}
	nw = ((n << shift) + BITS_PER_LONG - 1) / BITS_PER_LONG;
	memset(ua->bits, 0, nw * sizeof(*ua->bits));
	for (w = 0; w < (n + BITS_PER_LONG - 1) / BITS_PER_LONG; w++) {
		unsigned long word = ua->units[w];

		while (word) {
			uint64_t i = w * BITS_PER_LONG + __builtin_ctzl(word);
			uint64_t bit = i << shift;

			word &= word - 1;
			ua->bits[bit / BITS_PER_LONG] |=
				1UL << (bit % BITS_PER_LONG);
		}
	}
	aging_update(ua->a, ub->bank->gpa, ua->bits, n << shift);
}

UffdAging *uffd_aging_new(Aging *a, RamList *ram, HostMemBackend *backend,
			  unsigned sample, GError **errp)
{
	UffdAging *ua = g_new0(UffdAging, 1);
	uint64_t maxpages = 0;
	RamBank *b;

	ua->a = a;
	ua->sample = sample ? sample : 1;
	ua->banks = g_array_new(false, true, sizeof(UffdAgingBank));
	ram_for_each_bank(ram, b) {
		if (b->type != RAM_BANK_RAM ||
		    (backend && b->backend != backend))
			continue;
		if (!uffd_aging_add(ua, b, &maxpages, errp)) {
			uffd_aging_free(ua);
			return NULL;
		}
	}
	/* Sized for the largest bank in 4 KiB pages, which bounds both. */
	ua->units = g_new0(unsigned long,
			   (maxpages + BITS_PER_LONG - 1) / BITS_PER_LONG);
	ua->bits = g_new0(unsigned long,
			  (maxpages + BITS_PER_LONG - 1) / BITS_PER_LONG);
	/* Tracker page i of a bank is unit i of the Aging's range for it. */
	ua->block = uffd_aging_block(ua, ua->sample);
	aging_set_sample(a, ua->sample, ua->block, true);
	aging_set_arm(a, uffd_aging_arm, ua);
	return ua;
}

bool uffd_aging_set_sample(UffdAging *ua, unsigned sample, GError **errp)
{
	unsigned block;

	sample = sample ? sample : 1;
	block = uffd_aging_block(ua, sample);
	/*
	 * Arm phase 0 of the new sample now (all of it for full).  On
	 * failure the pages zapped so far are only armed early: their next
	 * touch is a real access, recorded like any other.
	 */
	for (guint i = 0; i < ua->banks->len; i++) {
		UffdAgingBank *ub = &g_array_index(ua->banks, UffdAgingBank, i);

		if (!uffd_track_zap(ub->t, sample, block, 0, errp))
			return false;
	}
	ua->sample = sample;
	ua->block = block;
	ua->phase = 0;
	aging_set_sample(ua->a, sample, block, false);
	return true;
}

void uffd_aging_free(UffdAging *ua)
{
	if (!ua)
		return;
	/* The Aging may outlive us (another backend may feed it). */
	aging_set_arm(ua->a, NULL, NULL);
	aging_set_sample(ua->a, 1, 1, false);
	for (guint i = 0; i < ua->banks->len; i++)
		uffd_track_free(g_array_index(ua->banks, UffdAgingBank, i).t);
	g_array_free(ua->banks, true);
	g_free(ua->units);
	g_free(ua->bits);
	g_free(ua);
}

bool uffd_aging_scan(void *opaque, unsigned ticks, GError **errp)
{
	UffdAging *ua = opaque;
	AgingCost cost = { 0 };
	uint64_t t0, zap0, zap_ns = 0;
	bool ok = true;

	/* Busy: the accessed bits wait in the trackers for the next scan. */
	if (!aging_scan_begin(ua->a, ticks))
		return true;
	t0 = uffd_aging_now_ns();
	for (guint i = 0; i < ua->banks->len; i++) {
		UffdAgingBank *ub = &g_array_index(ua->banks, UffdAgingBank, i);

		uffd_aging_feed(ua, ub);
		cost.pages += ub->bank->size >> PAGE_SHIFT;
	}
	ua->phase = (ua->phase + 1) % ua->sample;
	zap0 = uffd_aging_now_ns();
	for (guint i = 0; i < ua->banks->len && ok; i++) {
		UffdAgingBank *ub = &g_array_index(ua->banks, UffdAgingBank, i);

		ok = uffd_track_zap(ub->t, ua->sample, ua->block, ua->phase,
				    errp);
	}
	zap_ns = uffd_aging_now_ns() - zap0;
	/* A failed zap keeps the phase's earlier arming: still true. */
	if (ok)
		aging_sample_armed(ua->a, ua->phase);
	cost.kernel_ns = zap_ns;
	cost.user_ns = uffd_aging_now_ns() - t0 - zap_ns;
	aging_scan_end(ua->a, &cost);
	return ok;
}

void uffd_aging_stats(UffdAging *ua, UffdTrackStats *st)
{
	memset(st, 0, sizeof(*st));
	for (guint i = 0; i < ua->banks->len; i++) {
		UffdTrackStats s;

		uffd_track_stats(g_array_index(ua->banks, UffdAgingBank, i).t,
				 &s);
		st->faults += s.faults;
		st->missing += s.missing;
		st->eexist += s.eexist;
		st->errors += s.errors;
		st->handler_ns += s.handler_ns;
		st->zapped += s.zapped;
		st->zap_calls += s.zap_calls;
		st->zap_ns += s.zap_ns;
		st->process_madvise = s.process_madvise;
	}
}
