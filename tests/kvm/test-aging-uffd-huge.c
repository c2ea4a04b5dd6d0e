/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Aging fed by userfaultfd MINOR-fault tracking on a hugetlb memfd guest
 * (2 MiB pages), in process, against the workload guest's ground truth:
 * pattern=hotcold touches the first 8 MiB of a 64 MiB data area (2 MiB
 * aligned) every pass and the rest only in the fill.  The unit is the
 * huge page: one is hot if any of its 4 KiB pages is in the hot set, so
 * the hot set is a whole number of huge pages.  Scans are driven by
 * passes (at least one whole pass between two scans).
 *
 * full: per-huge-page precision and recall of "hot" (age < 2 scans) >=
 * 99%; ages are counted once per huge page at 2 MiB; the guest verifies
 * every touch and, at the end, every page of the area (exit status 0).
 * sampled 4: 1 huge page in 4 re-armed per scan, a threshold of 4 scans.
 * The same full on a memory-backend-file on hugetlbfs with share=on.
 * backend=auto picks uffd on a hugetlb memfd, and query-memory-aging says
 * why uffd is unavailable on memdevs without a shared file.
 * Skips (with the reason) unless 48 huge pages of 2 MiB are free.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "accel/kvm.h"
#include "aging/feed.h"
#include "aging/aging-object.h"
#include "aging/aging.h"
#include "hw/machine.h"
#include "hw/testdev.h"
#include "../proven-ages.h"
#include "aging-rig.h"
#include "harness.h"
#include "../hugepage-util.h"
#include "qapi-commands.h"

#define HP	  (2ULL << 20)
#define GUEST_HP  48 /* 96 MiB */
#define IVAL_MS	  100
#define DATA_SIZE (64ULL << 20)
#define HOT_SIZE  (8ULL << 20)
/* Enough passes for the scans (2 per scan), few enough to end quickly. */
#define HOTCOLD	  "size=64M hot=8M pattern=hotcold passes=3000 final=on rw="

static RigWorkload wl;

static void on_sync(void *opaque, const struct ucall *uc)
{
	rig_workload_sync(&wl, uc);
}

typedef RigUffd Rig;

/* False (test skipped) when the huge pages cannot be had. */
static bool rig_start(Rig *r, const char *elf, const char *append,
		      const char *object, unsigned sample)
{
	char *argv[] = { "kvmage",
			 "-m",
			 "96M",
			 "-smp",
			 "1",
			 "-kernel",
			 (char *)elf,
			 "-append",
			 (char *)append,
			 "-serial",
			 "none",
			 "-object",
			 (char *)object,
			 "-machine",
			 "memory-backend=mem0",
			 NULL };
	g_autoptr(GError) err = NULL;
	memset(r, 0, sizeof(*r));
	if (!hugepages_or_skip(GUEST_HP))
		return false;
	r->m = rig_machine_new(argv, on_sync, r, &r->cfg, &err);
	if (!r->m && strstr(err->message, "huge pages")) {
		/* taken by another process since the check */
		g_test_skip(err->message);
		return false;
	}
	g_assert_no_error(err);
	g_assert_cmpuint(r->m->ram.head->page_size, ==, HP);
	rig_uffd_start(r, sample, IVAL_MS, &wl);
	return true;
}

/* @n scans, each after at least one whole pass. */
static void rig_scans(Rig *r, int n)
{
	g_autoptr(GError) err = NULL;
	UffdTrackStats st, prev;
	AgingStats as;

	aging_feed_uffd_stats(&r->feed, &prev);
	for (int i = 0; i < n; i++) {
		int now = g_atomic_int_get(&wl.syncs);

		g_assert_true(harness_wait_counter(&wl.syncs, now + 2, 60000));
		g_assert_true(aging_feed_scan(&r->feed, 1, &err));
		g_assert_no_error(err);
		aging_query(r->a, 0, &as);
		aging_feed_uffd_stats(&r->feed, &st);
		g_test_message("scan %d: %" G_GUINT64_FORMAT
			       " faults (%.1f us handler each), %" G_GUINT64_FORMAT
			       " huge pages zapped in %.1f us, %" G_GUINT64_FORMAT
			       " ages written",
			       i, st.faults - prev.faults,
			       (double)(st.handler_ns - prev.handler_ns) / 1e3 /
				       MAX(st.faults - prev.faults, 1),
			       st.zapped - prev.zapped,
			       (double)as.last_cost.kernel_ns / 1e3,
			       as.last_cost.written);
		g_assert_cmpuint(st.errors, ==, 0);
		/* 4 KiB pages covered, one age per touched huge page */
		g_assert_cmpuint(as.last_cost.pages, ==, 96 * 256);
		g_assert_cmpuint(as.last_cost.written, <=, GUEST_HP);
		prev = st;
	}
}

/* Per-huge-page precision and recall of "hot" = age < @cold_age. */
static void rig_score(Rig *r, int cold_age, double *precision, double *recall)
{
	g_autoptr(AgingAges) ex = NULL;
	uint64_t tp = 0, fp = 0, fn = 0, tn = 0;

	g_assert_cmpuint(wl.data_size, ==, DATA_SIZE);
	g_assert_cmpuint(wl.hot_size, ==, HOT_SIZE);
	g_assert_cmpuint(wl.data_gpa % HP, ==, 0);
	/* one proven age per huge page */
	ex = ages_export_at(r->a, &r->m->ram, wl.data_gpa);
	g_assert_cmpuint(ex->unit_size, ==, HP);
	for (uint64_t off = 0; off < wl.data_size; off += HP) {
		int age = ages_at(r->a, ex, wl.data_gpa + off);
		bool hot = off < wl.hot_size, said_hot;
		uint16_t seen[HP / 4096];
		uint64_t now;

		/* every 4 KiB page of a huge page has its age */
		aging_run_ages(r->a, wl.data_gpa + off, HP / 4096, seen, &now);
		for (unsigned i = 1; i < HP / 4096; i++)
			g_assert_cmpuint(seen[i], ==, seen[0]);
		said_hot = age < cold_age;
		tp += hot && said_hot;
		fp += !hot && said_hot;
		fn += hot && !said_hot;
		tn += !hot && !said_hot;
	}
	g_test_message("hot huge pages: tp %" G_GUINT64_FORMAT
		       " fp %" G_GUINT64_FORMAT " fn %" G_GUINT64_FORMAT
		       " tn %" G_GUINT64_FORMAT,
		       tp, fp, fn, tn);
	*precision = (double)tp / MAX(tp + fp, 1);
	*recall = (double)tp / MAX(tp + fn, 1);
}

/* The guest ends its passes with a sweep of every page: exit 0. */
static void rig_wait_verified(Rig *r)
{
	const char *reason;
	int status = -1;

	for (gint64 end = timescale_deadline(60000);
	     g_get_monotonic_time() < end && !machine_shutdown_requested(r->m);)
		g_usleep(50 * 1000);
	g_assert_true(machine_shutdown_requested(r->m));
	reason = machine_shutdown_status(r->m, &status);
	g_test_message("guest ended: status %d (%s)", status,
		       reason ? reason : "");
	g_assert_cmpint(status, ==, 0);
}

typedef struct Case {
	const char *rw;
	unsigned sample;
	int scans, cold_age;
	bool file; /* memory-backend-file on hugetlbfs, else a memfd */
} Case;

static void test_case(gconstpointer data)
{
	const Case *c = data;
	g_autofree char *append = g_strconcat(HOTCOLD, c->rw, NULL);
	g_autofree char *mount = NULL, *path = NULL, *object = NULL;
	double precision, recall;
	const char *elf;
	AgingStats as;
	Rig r;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	if (c->file) {
		mount = hugetlbfs_mount();
		if (!mount) {
			g_test_skip("no hugetlbfs mount (sudo make check-setup "
				    "mounts one)");
			return;
		}
		path = g_strdup_printf("%s/kvmage-test-%d", mount, getpid());
		object = g_strdup_printf("memory-backend-file,id=mem0,size=96M,"
					 "mem-path=%s,share=on",
					 path);
	} else {
		object = g_strdup("memory-backend-memfd,id=mem0,size=96M,"
				  "hugetlb=on,hugetlbsize=2M");
	}
	if (!rig_start(&r, elf, append, object, c->sample)) {
		if (path)
			unlink(path);
		return;
	}
	if (path)
		unlink(path); /* mapped: the pages live until unmapped */
	g_assert_true(harness_wait_counter(&wl.syncs, 1, 60000));
	rig_scans(&r, c->scans);
	rig_score(&r, c->cold_age, &precision, &recall);
	g_test_message("%s, sample %u: precision %.4f recall %.4f", c->rw,
		       c->sample, precision, recall);
	g_assert_cmpfloat(precision, >=, 0.99);
	g_assert_cmpfloat(recall, >=, 0.99);
	aging_query(r.a, c->cold_age * IVAL_MS, &as);
	g_assert_cmpuint(as.scans, ==, c->scans);
	g_assert_cmpuint(as.total_bytes, ==, 96ULL << 20);
	g_assert_true(as.coverage.reads && as.coverage.writes);
	/* the cold data area, in whole huge pages */
	g_assert_cmpuint(as.cold_bytes % HP, ==, 0);
	g_assert_cmpuint(as.cold_bytes, >=, DATA_SIZE - HOT_SIZE);
	rig_wait_verified(&r);
	rig_uffd_stop(&r);
}

static const Case cases[] = {
	{ "write", 1, 6, 2 },
	{ "read", 1, 6, 2 },
	{ "mixed", 4, 12, 4 },
	{ "mixed", 1, 6, 2, true },
};

/*
 * -object memory-aging with backend=auto on @mem (a 32 MiB memdev): the
 * backend in use, and uffd's availability and reason from the query.
 */
static MemoryAgingBackend auto_pick(const char *mem, char **uffd_reason)
{
	g_autofree char *memobj = g_strdup_printf("%s,id=mem0,size=32M", mem);
	g_autoptr(GError) err = NULL;
	MemoryAgingInfoList *info = NULL;
	MemoryAgingBackendInfoList *bl;
	MemoryAgingBackend used;
	const char *elf = harness_guest("workload");
	char *argv[] = { "kvmage",
			 "-m",
			 "32M",
			 "-kernel",
			 (char *)elf,
			 "-serial",
			 "none",
			 "-object",
			 memobj,
			 "-object",
			 "memory-aging,id=ag0,memdev=mem0,interval=1000",
			 "-machine",
			 "memory-backend=mem0",
			 NULL };
	VmConfig *cfg;
	Machine *m;

	*uffd_reason = NULL;
	m = rig_machine_new(argv, NULL, NULL, &cfg, &err);
	g_assert_no_error(err);
	if (!m)
		return MEMORY_AGING_BACKEND__MAX;
	g_assert_true(
		qmp_query_memory_aging(&(q_obj_query_memory_aging_arg){ 0 },
				       &info, &err));
	g_assert_no_error(err);
	g_assert_nonnull(info);
	used = info->value->backend;
	for (bl = info->value->backends; bl; bl = bl->next) {
		if (bl->value->backend != MEMORY_AGING_BACKEND_UFFD)
			continue;
		g_assert_true(bl->value->available == !bl->value->reason);
		*uffd_reason = g_strdup(bl->value->reason);
	}
	qapi_free_MemoryAgingInfoList(info);
	rig_machine_free(m, cfg);
	return used;
}

static void test_auto(void)
{
	g_autofree char *why = NULL;
	const char *elf;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	(void)elf;
	if (!hugepages_or_skip(16))
		return;
	g_assert_cmpint(auto_pick("memory-backend-memfd,hugetlb=on,"
				  "hugetlbsize=2M",
				  &why),
			==, MEMORY_AGING_BACKEND_UFFD);
	g_assert_null(why);
	g_assert_cmpint(auto_pick("memory-backend-memfd,share=off", &why), ==,
			MEMORY_AGING_BACKEND_DIRTY_LOG);
	g_assert_nonnull(strstr(why, "private memfd memory (share=off)"));
	g_clear_pointer(&why, g_free);
	g_assert_cmpint(auto_pick("memory-backend-ram,share=on", &why), ==,
			MEMORY_AGING_BACKEND_DIRTY_LOG);
	g_assert_nonnull(strstr(why, "need a file to map twice"));
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_data_func("/kvm/aging-uffd-huge/full-write", &cases[0],
			     test_case);
	g_test_add_data_func("/kvm/aging-uffd-huge/full-read", &cases[1],
			     test_case);
	g_test_add_data_func("/kvm/aging-uffd-huge/sampled-mixed", &cases[2],
			     test_case);
	g_test_add_data_func("/kvm/aging-uffd-huge/file-full-mixed", &cases[3],
			     test_case);
	g_test_add_func("/kvm/aging-uffd-huge/auto", test_auto);
	return g_test_run();
}
