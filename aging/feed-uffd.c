/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The uffd feed: one UffdTrack per RAM bank of a shared memdev,
 * harvested into an Aging at every scan, which then re-arms (zaps) the
 * next set of pages.  Sees reads and writes.
 *
 * Modes: sample 1 ("full") zaps every page at every scan: exact per-page
 * ages, every touched page costs one fault round trip per interval.
 * sample N > 1 ("sampled") cuts each bank into blocks of B pages (B a
 * power of two chosen so that each phase holds at least 128 blocks, at
 * most 512 pages) and zaps the blocks b % N == k at scan k: a page is
 * re-armed every N scans, and a scan zaps about 128 ranges whatever the
 * size (the kernel's cost, and the guest's stall, is per range).  Every
 * arming is reported to the core (aging_set_sample(),
 * aging_sample_armed()), which keeps per page the first arming after
 * its last observed access: pages are proven idle from there on, so
 * proven ages lag the truth by at most N scans, and estimates cold bytes
 * below N scans from the cohort armed at the threshold, with its
 * statistical error (see include/aging/aging.h).  Every page is armed
 * when the backend starts, and reclaim can arm pages on demand
 * (aging_set_arm()) to confirm that candidates stay idle.
 *
 * Huge-page banks (hugetlbfs): one tracking unit per huge page.  Tracking
 * page i of a bank is aging unit i of the bank's range (both count from
 * the bank's start in its page size), so the sample i % N == k zapped by
 * a scan is the same set of units for the tracker and the aging core;
 * the harvest is fed to the core as the first 4 KiB bit of each huge page
 * and the core writes one age per huge page, counted at its size.
 *
 * Limits (refused with a message): private or anonymous banks (userfaultfd
 * MINOR mode needs shared memory).  A bank must have an alias
 * (RamBank.host_alias, see memory/ram.h): kvmage's own accesses go
 * through it, so they never fault and never count; the trackers register
 * and zap the guest mapping (RamBank.host).
 *
 * Locking: its scan runs on one thread at a time (the harvest
 * thread); it takes the Aging's lock with aging_scan_begin() and zaps
 * under it, so a zap never races a harvest.  The UffdTracks' handler
 * threads only set accessed bits and bump atomic fault counters;
 * aging_feed_uffd_stats() reads the zap counters too, so it runs on the
 * harvest thread or while it is stopped.
 */
#include <string.h>
#include <time.h>

#include "aging/feed.h"
#include "backends/hostmem.h"
#include "util/error.h"
#include "util/bitmap.h"

#define FEED_UFFD_CLUSTERS  128 /* sampling blocks per phase, at least */
#define FEED_UFFD_BLOCK_MAX 512 /* units per block, at most */

typedef struct FeedUffdBank {
	RamBank *bank;
	UffdTrack *t;
} FeedUffdBank;

typedef struct FeedUffd {
	Aging *a;
	unsigned sample;
	unsigned block;	      /* units per sampling block */
	unsigned phase;	      /* sample zapped by the last scan */
	GArray *banks;	      /* FeedUffdBank */
	unsigned long *units; /* harvest buffer: a bit per tracking page */
	unsigned long *bits;  /* the same in 4 KiB pages (huge-page banks) */
} FeedUffd;

static const AgingCoverage feed_uffd_full_coverage = {
	.backend = "uffd",
	.reads = true,
	.writes = true,
	.sampled = 1.0,
	.note = NULL,
};

static AgingCoverage feed_uffd_coverage(unsigned sample)
{
	AgingCoverage c = feed_uffd_full_coverage;

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

static uint64_t feed_uffd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool feed_uffd_add(FeedUffd *ua, RamBank *b, uint64_t *maxpages,
			  GError **errp)
{
	FeedUffdBank ub = { .bank = b };
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
 * Units per sampling block: about FEED_UFFD_CLUSTERS blocks per phase,
 * so a scan zaps that many ranges whatever the size, and the estimate
 * still has that many clusters.  A power of two, 1 to FEED_UFFD_BLOCK_MAX.
 */
static unsigned feed_uffd_block(FeedUffd *ua, unsigned sample)
{
	uint64_t units = 0, per;
	unsigned block = 1;

	if (sample <= 1)
		return 1;
	for (guint i = 0; i < ua->banks->len; i++) {
		RamBank *b = g_array_index(ua->banks, FeedUffdBank, i).bank;

		units += b->size / b->page_size;
	}
	per = units / ((uint64_t)sample * FEED_UFFD_CLUSTERS);
	while (block * 2 <= per && block < FEED_UFFD_BLOCK_MAX)
		block *= 2;
	return block;
}

/* The AgingArmFn: zap [gpa, gpa + size).  Aging lock held (no scan). */
static bool feed_uffd_arm(void *opaque, uint64_t gpa, uint64_t size,
			  GError **errp)
{
	FeedUffd *ua = opaque;

	for (guint i = 0; i < ua->banks->len; i++) {
		FeedUffdBank *ub = &g_array_index(ua->banks, FeedUffdBank, i);
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
static void feed_uffd_feed(FeedUffd *ua, FeedUffdBank *ub)
{
	uint64_t n = uffd_track_npages(ub->t), w, nw;
	unsigned shift = __builtin_ctzll(ub->bank->page_size) - PAGE_SHIFT;

	uffd_track_harvest(ub->t, ua->units);
	if (!shift) {
		aging_update(ua->a, ub->bank->gpa, ua->units, n);
		return;
	}
	nw = BITS_TO_LONGS(n << shift);
	memset(ua->bits, 0, nw * sizeof(*ua->bits));
	for (w = 0; w < BITS_TO_LONGS(n); w++) {
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

static void feed_uffd_free(void *state);

/* Main thread, before or while vCPUs run: registers and arms every bank. */
static void *feed_uffd_create(const AgingFeedEnv *env, Aging *a,
			      HostMemBackend *backend, unsigned sample,
			      GError **errp)
{
	FeedUffd *ua = g_new0(FeedUffd, 1);
	RamList *ram = env->ram;
	uint64_t maxpages = 0;
	RamBank *b;

	ua->a = a;
	ua->sample = sample ? sample : 1;
	ua->banks = g_array_new(false, true, sizeof(FeedUffdBank));
	ram_for_each_bank(ram, b) {
		if (b->type != RAM_BANK_RAM ||
		    (backend && b->backend != backend))
			continue;
		if (!feed_uffd_add(ua, b, &maxpages, errp)) {
			feed_uffd_free(ua);
			return NULL;
		}
	}
	/* Sized for the largest bank in 4 KiB pages, which bounds both. */
	ua->units = g_new0(unsigned long, BITS_TO_LONGS(maxpages));
	ua->bits = g_new0(unsigned long, BITS_TO_LONGS(maxpages));
	/* Tracker page i of a bank is unit i of the Aging's range for it. */
	ua->block = feed_uffd_block(ua, ua->sample);
	aging_set_sample(a, ua->sample, ua->block, true);
	aging_set_arm(a, feed_uffd_arm, ua);
	return ua;
}

/* Main thread, no scan running; on a zap failure the old sample goes on. */
static bool feed_uffd_set_sample(void *state, unsigned sample, GError **errp)
{
	FeedUffd *ua = state;
	unsigned block;

	sample = sample ? sample : 1;
	block = feed_uffd_block(ua, sample);
	/*
	 * Arm phase 0 of the new sample now (all of it for full).  On
	 * failure the pages zapped so far are only armed early: their next
	 * touch is a real access, recorded like any other.
	 */
	for (guint i = 0; i < ua->banks->len; i++) {
		FeedUffdBank *ub = &g_array_index(ua->banks, FeedUffdBank, i);

		if (!uffd_track_zap(ub->t, sample, block, 0, errp))
			return false;
	}
	ua->sample = sample;
	ua->block = block;
	ua->phase = 0;
	aging_set_sample(ua->a, sample, block, false);
	return true;
}

/* Stops the handlers and unregisters; blocked vCPUs are released. */
static void feed_uffd_free(void *state)
{
	FeedUffd *ua = state;

	if (!ua)
		return;
	/* The Aging may outlive us (another backend may feed it). */
	aging_set_arm(ua->a, NULL, NULL);
	aging_set_sample(ua->a, 1, 1, false);
	for (guint i = 0; i < ua->banks->len; i++)
		uffd_track_free(g_array_index(ua->banks, FeedUffdBank, i).t);
	g_array_free(ua->banks, true);
	g_free(ua->units);
	g_free(ua->bits);
	g_free(ua);
}

static bool feed_uffd_scan(void *state, unsigned ticks, GError **errp)
{
	FeedUffd *ua = state;
	AgingCost cost = { 0 };
	uint64_t t0, zap0, zap_ns = 0;
	bool ok = true;

	/* Busy: the accessed bits wait in the trackers for the next scan. */
	if (!aging_scan_begin(ua->a, ticks))
		return true;
	t0 = feed_uffd_now_ns();
	for (guint i = 0; i < ua->banks->len; i++) {
		FeedUffdBank *ub = &g_array_index(ua->banks, FeedUffdBank, i);

		feed_uffd_feed(ua, ub);
		cost.pages += ub->bank->size >> PAGE_SHIFT;
	}
	ua->phase = (ua->phase + 1) % ua->sample;
	zap0 = feed_uffd_now_ns();
	for (guint i = 0; i < ua->banks->len && ok; i++) {
		FeedUffdBank *ub = &g_array_index(ua->banks, FeedUffdBank, i);

		ok = uffd_track_zap(ub->t, ua->sample, ua->block, ua->phase,
				    errp);
	}
	zap_ns = feed_uffd_now_ns() - zap0;
	/* A failed zap keeps the phase's earlier arming: still true. */
	if (ok)
		aging_sample_armed(ua->a, ua->phase);
	cost.kernel_ns = zap_ns;
	cost.user_ns = feed_uffd_now_ns() - t0 - zap_ns;
	aging_scan_end(ua->a, &cost);
	return ok;
}

void aging_feed_uffd_stats(const AgingFeed *f, UffdTrackStats *st)
{
	FeedUffd *ua = f->state;

	memset(st, 0, sizeof(*st));
	if (f->ops != &aging_feed_uffd)
		return;
	for (guint i = 0; i < ua->banks->len; i++) {
		UffdTrackStats s;

		uffd_track_stats(g_array_index(ua->banks, FeedUffdBank, i).t,
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

/*
 * Why uffd cannot track @mem, or NULL if it can: userfaultfd MINOR faults
 * need shared memory, and kvmage's own accesses need a file behind it to
 * map an alias of (memory/ram.h).  Huge pages (hugetlbfs) are fine.
 */
static const char *feed_uffd_why(const AgingFeedEnv *env,
				 const HostMemBackend *mem)
{
	(void)env;
	if ((mem->type == HOSTMEM_MEMFD || mem->type == HOSTMEM_FILE) &&
	    mem->share)
		return NULL;
	if (mem->type == HOSTMEM_MEMFD)
		return "private memfd memory (share=off): userfaultfd minor "
		       "faults need shared memory (use share=on)";
	if (mem->type == HOSTMEM_FILE)
		return "private file memory (share=off): userfaultfd minor "
		       "faults need shared memory (use share=on)";
	if (mem->share)
		return "anonymous shared RAM (memory-backend-ram): kvmage's "
		       "own accesses need a file to map twice (use "
		       "memory-backend-memfd)";
	return "private RAM (memory-backend-ram): userfaultfd minor faults "
	       "need shared memory (use memory-backend-memfd)";
}

const AgingFeedOps aging_feed_uffd = {
	.name = "uffd",
	.why = feed_uffd_why,
	.create = feed_uffd_create,
	.free = feed_uffd_free,
	.scan = feed_uffd_scan,
	.coverage = feed_uffd_coverage,
	.set_sample = feed_uffd_set_sample,
};
