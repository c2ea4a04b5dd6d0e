/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine's dirty log (memory/dirty-log.c) without KVM: fan-out to
 * consumers, each with its own bitmaps (injected harvests), reference
 * counted logging through a fake accelerator, consumers of one memdev,
 * and the dirty-log aging feed harvesting through it in one pass, for
 * one memdev or two at once.
 */
#include <string.h>
#include <glib.h>

#include "aging/feed.h"
#include "backends/hostmem.h"
#include "memory/dirty-log.h"
#include "util/bitmap.h"
#include "util/error.h"

#define PG 4096ULL

/* Two banks of 256 pages; slots of 128 pages (two per bank). */
typedef struct Rig {
	RamList ram;
	HostMemBackend be[2];
	DirtyLog *dl;
} Rig;

static void rig_init(Rig *r)
{
	g_autoptr(GError) err = NULL;
	RamBank *b;
	uint32_t slot = 0;

	memset(r, 0, sizeof(*r));
	ram_list_init(&r->ram);
	r->be[0].id = "m0";
	r->be[1].id = "m1";
	for (int i = 0; i < 2; i++) {
		/* The dirty log only reads the fields of the bank. */
		b = ram_bank_add(&r->ram, RAM_BANK_RESERVED, i * 256 * PG,
				 256 * PG, NULL, 0, &err);
		g_assert_no_error(err);
		b->type = RAM_BANK_RAM;
		b->page_size = PG;
		b->backend = &r->be[i];
	}
	r->dl = dirty_log_new();
	ram_for_each_bank(&r->ram, b) {
		for (uint64_t off = 0; off < b->size; off += 128 * PG) {
			DirtyLogSlotInfo si = { slot++, b->gpa + off, 128, b,
						NULL };

			dirty_log_add_slot(r->dl, &si);
		}
	}
}

static void rig_free(Rig *r)
{
	dirty_log_free(r->dl);
	ram_list_destroy(&r->ram);
}

static uint64_t fetch_count(DirtyLogClient *c, unsigned i, bool *first)
{
	unsigned long bm[BITS_TO_LONGS(128)];

	dirty_log_client_fetch(c, i, bm);
	if (first)
		*first = bitmap_test(bm, 0);
	return bitmap_weight(bm, 128);
}

/* Two clients both see every harvested bit; fetching is per client. */
static void test_fanout(void)
{
	g_autoptr(GError) err = NULL;
	unsigned long bm[BITS_TO_LONGS(128)] = { 0 };
	DirtyLogClient *mig, *age;
	bool first;
	Rig r;

	rig_init(&r);
	g_assert_cmpuint(dirty_log_nr_slots(r.dl), ==, 4);
	g_assert_cmpuint(dirty_log_slot_info(r.dl, 1)->gpa, ==, 128 * PG);
	mig = dirty_log_client_add(r.dl, "migration", NULL, &err);
	g_assert_no_error(err);
	/* Start all set: the history before the client is unknown. */
	g_assert_cmpuint(fetch_count(mig, 0, NULL), ==, 128);
	age = dirty_log_client_add(r.dl, "aging", NULL, &err);
	g_assert_cmpuint(fetch_count(age, 0, NULL), ==, 128);

	bitmap_set_bit(bm, 0);
	bitmap_set_bit(bm, 100);
	dirty_log_inject(r.dl, 0, bm);
	g_assert_cmpuint(fetch_count(age, 0, &first), ==, 2);
	g_assert_true(first);
	g_assert_cmpuint(fetch_count(age, 0, NULL), ==, 0);
	/* Another harvest ORs into what migration has not fetched yet. */
	memset(bm, 0, sizeof(bm));
	bitmap_set_bit(bm, 7);
	dirty_log_inject(r.dl, 0, bm);
	g_assert_cmpuint(fetch_count(mig, 0, NULL), ==, 3);
	g_assert_cmpuint(fetch_count(age, 0, NULL), ==, 1);
	/* Slot 1 untouched by fetches of slot 0. */
	g_assert_cmpuint(fetch_count(age, 1, NULL), ==, 128);

	dirty_log_client_remove(age);
	dirty_log_client_remove(mig);
	rig_free(&r);
}

/* A fake accelerator: counts start/stop, reports page 3 dirty. */
typedef struct Fake {
	int starts, stops, harvests;
	bool fail_start;
} Fake;

static bool fake_start(void *opaque, DirtyLog *dl, GError **errp)
{
	Fake *f = opaque;

	(void)dl;
	if (f->fail_start) {
		error_setg(errp, "no logging here");
		return false;
	}
	f->starts++;
	return true;
}

static void fake_stop(void *opaque, DirtyLog *dl)
{
	(void)dl;
	((Fake *)opaque)->stops++;
}

static bool fake_harvest(void *opaque, const DirtyLogSlotInfo *si,
			 unsigned long *bits, DirtyLogStats *st, GError **errp)
{
	(void)st;
	(void)errp;
	((Fake *)opaque)->harvests++;
	memset(bits, 0, BITS_TO_LONGS(si->npages) * sizeof(long));
	bitmap_set_bit(bits, 3);
	return true;
}

static const DirtyLogOps fake_ops = { fake_start, fake_stop, fake_harvest };

/*
 * The first consumer turns logging on, the last off; a consumer of one
 * memdev harvests only that memdev's slots, and its bits reach every
 * consumer covering them.
 */
static void test_refcount(void)
{
	g_autoptr(GError) err = NULL;
	DirtyLogClient *a, *b;
	DirtyLogStats st;
	Fake f = { 0 };
	Rig r;

	rig_init(&r);
	dirty_log_connect(r.dl, &fake_ops, &f);
	f.fail_start = true;
	g_assert_null(dirty_log_client_add(r.dl, "x", NULL, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	f.fail_start = false;

	a = dirty_log_client_add(r.dl, "m1 only", &r.be[1], &err);
	g_assert_no_error(err);
	b = dirty_log_client_add(r.dl, "all", NULL, &err);
	g_assert_cmpint(f.starts, ==, 1);
	g_assert_false(dirty_log_client_covers(a, 0));
	g_assert_true(dirty_log_client_covers(a, 2));
	g_assert_true(dirty_log_client_covers(b, 0));

	for (unsigned i = 0; i < 4; i++) {
		if (dirty_log_client_covers(a, i))
			dirty_log_client_fetch(a, i, NULL);
		dirty_log_client_fetch(b, i, NULL);
	}
	g_assert_true(dirty_log_client_sync(a, &st, &err));
	g_assert_cmpint(f.harvests, ==, 2); /* the slots of m1 */
	g_assert_cmpuint(st.pages, ==, 256);
	g_assert_cmpuint(st.dirty, ==, 2);
	g_assert_cmpuint(fetch_count(a, 2, NULL), ==, 1);
	g_assert_cmpuint(fetch_count(b, 3, NULL), ==, 1);
	g_assert_cmpuint(fetch_count(b, 0, NULL), ==, 0);
	g_assert_true(dirty_log_sync(r.dl, NULL, &err));
	g_assert_cmpint(f.harvests, ==, 6);
	g_assert_cmpuint(fetch_count(b, 0, NULL), ==, 1);

	dirty_log_client_remove(a);
	g_assert_cmpint(f.stops, ==, 0);
	dirty_log_client_remove(b);
	g_assert_cmpint(f.stops, ==, 1);
	/* Logging goes on again with a new first consumer. */
	a = dirty_log_client_add(r.dl, "again", NULL, &err);
	g_assert_cmpint(f.starts, ==, 2);
	dirty_log_client_remove(a);
	rig_free(&r);
}

/* The dirty-log feed: one scan harvests and updates the ages of m0. */
static void test_feed(void)
{
	static const AgingCoverage cov = { "t", false, true, 1.0, NULL };
	g_autoptr(GError) err = NULL;
	AgingFeed feed;
	AgingFeedEnv env;
	uint16_t ages[256];
	uint64_t now;
	Fake f = { 0 };
	Aging *a;
	Rig r;

	rig_init(&r);
	dirty_log_connect(r.dl, &fake_ops, &f);
	env = (AgingFeedEnv){ .ram = &r.ram, .dl = r.dl };
	a = aging_new("m0", &r.ram, &r.be[0], 100, &cov, &err);
	g_assert_no_error(err);
	g_assert_true(aging_feed_new(&feed, &aging_feed_dirty_log, &env, a,
				     &r.be[0], 1, true, &err));
	g_assert_no_error(err);
	g_assert_cmpint(f.starts, ==, 1);
	for (int i = 0; i < 3; i++)
		g_assert_true(aging_feed_scan(&feed, 1, &err));
	/* Only the slots of m0 were harvested: 2 per scan, 2 to rebase. */
	g_assert_cmpint(f.harvests, ==, 8);
	aging_run_ages(a, 0, 256, ages, &now);
	g_assert_cmpuint(now, ==, 3);
	g_assert_cmpuint(ages[3], ==, 0);   /* dirty at every scan */
	g_assert_cmpuint(ages[131], ==, 0); /* page 3 of slot 1 */
	g_assert_cmpuint(ages[4], ==, 3);   /* never written */
	aging_feed_free(&feed);
	g_assert_cmpint(f.stops, ==, 1);
	aging_free(a);
	rig_free(&r);
}

/* Two memdevs aged at once: two consumers, logging on once. */
static void test_two_memdevs(void)
{
	static const AgingCoverage cov = { "t", false, true, 1.0, NULL };
	g_autoptr(GError) err = NULL;
	AgingFeed feed[2];
	AgingFeedEnv env;
	uint16_t ages[256];
	uint64_t now;
	Fake f = { 0 };
	Aging *a[2];
	Rig r;

	rig_init(&r);
	dirty_log_connect(r.dl, &fake_ops, &f);
	env = (AgingFeedEnv){ .ram = &r.ram, .dl = r.dl };
	for (int i = 0; i < 2; i++) {
		a[i] = aging_new(r.be[i].id, &r.ram, &r.be[i], 100, &cov, &err);
		g_assert_true(aging_feed_new(&feed[i], &aging_feed_dirty_log,
					     &env, a[i], &r.be[i], 1, false,
					     &err));
		g_assert_no_error(err);
	}
	g_assert_cmpint(f.starts, ==, 1);
	g_assert_true(aging_feed_scan(&feed[0], 1, &err));
	g_assert_true(aging_feed_scan(&feed[1], 1, &err));
	g_assert_true(aging_feed_scan(&feed[1], 1, &err));
	aging_run_ages(a[1], 256 * PG, 256, ages, &now);
	g_assert_cmpuint(now, ==, 2);
	g_assert_cmpuint(ages[3], ==, 0);
	g_assert_cmpuint(ages[4], ==, 1); /* all set at start, then idle */
	aging_run_ages(a[0], 0, 256, ages, &now);
	g_assert_cmpuint(now, ==, 1);
	aging_feed_free(&feed[0]);
	g_assert_cmpint(f.stops, ==, 0);
	aging_feed_free(&feed[1]);
	g_assert_cmpint(f.stops, ==, 1);
	aging_free(a[0]);
	aging_free(a[1]);
	rig_free(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dirty-log/fanout", test_fanout);
	g_test_add_func("/dirty-log/refcount", test_refcount);
	g_test_add_func("/dirty-log/feed", test_feed);
	g_test_add_func("/dirty-log/two-memdevs", test_two_memdevs);
	return g_test_run();
}
