/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Aging fed by userfaultfd MINOR-fault tracking, in process, against the
 * workload guest's ground truth, on a memory-backend-memfd: pattern=hotcold
 * touches the first `hot` bytes of the data area every pass and the rest
 * only in the fill (before SYNC 1).  Scans are driven by passes: at least
 * one whole pass lies between two scans.
 *
 * full (sample 1): per-page precision and recall of "hot" (age <
 * COLD_AGE) >= 99% for writes and for reads (uffd sees both).  sampled
 * (sample 4): a hot page is re-armed every 4 scans, so its age stays
 * below 4 while the cold set's grows: with a threshold of 4 scans the same
 * >= 99% must hold.  A private RAM bank is refused.
 */
#include <string.h>
#include <glib.h>

#include "accel/kvm.h"
#include "accel/uffd-aging.h"
#include "aging/aging.h"
#include "hw/machine.h"
#include "hw/testdev.h"
#include "harness.h"

#define PG	4096ULL
#define IVAL_MS 100
#define HOTCOLD "size=64M hot=4M pattern=hotcold passes=0 rw="

static gint syncs;
static uint64_t data_gpa, data_size, hot_size; /* from SYNC 1 */

static void on_sync(void *opaque, const struct ucall *uc)
{
	if (uc->args[0] == 1) {
		data_gpa = uc->args[1];
		data_size = uc->args[2];
		hot_size = uc->args[3];
	}
	g_atomic_int_inc(&syncs);
}

typedef struct Rig {
	VmConfig *cfg;
	Machine *m;
	Aging *a;
	UffdAging *ua;
} Rig;

static void rig_start(Rig *r, const char *elf, const char *append,
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
	AgingCoverage cov = uffd_aging_coverage(sample);

	memset(r, 0, sizeof(*r));
	r->cfg = options_parse(G_N_ELEMENTS(argv) - 1, argv, &err);
	g_assert_no_error(err);
	r->m = machine_create(r->cfg, NULL, &err);
	g_assert_no_error(err);
	r->a = aging_new("mem0", &r->m->ram, NULL, IVAL_MS, &cov, &err);
	g_assert_no_error(err);
	r->ua = uffd_aging_new(r->a, &r->m->ram, NULL, sample, &err);
	g_assert_no_error(err);
	testdev_set_sync_hook(machine_device_state(r->m, "testdev"), on_sync,
			      r);
	g_atomic_int_set(&syncs, 0);
	data_gpa = data_size = hot_size = 0;
	g_assert_true(machine_start(r->m, &err));
	g_assert_no_error(err);
}

static void rig_stop(Rig *r)
{
	vcpu_pause_all(r->m);
	uffd_aging_free(r->ua);
	aging_free(r->a);
	machine_destroy(r->m);
	vm_config_free(r->cfg);
}

/* @n scans, each after at least one whole pass; prints the costs. */
static void rig_scans(Rig *r, int n)
{
	g_autoptr(GError) err = NULL;
	UffdTrackStats st, prev;
	AgingStats as;

	uffd_aging_stats(r->ua, &prev);
	for (int i = 0; i < n; i++) {
		int now = g_atomic_int_get(&syncs);

		g_assert_true(harness_wait_counter(&syncs, now + 2, 60000));
		g_assert_true(uffd_aging_scan(r->ua, 1, &err));
		g_assert_no_error(err);
		aging_query(r->a, 0, &as);
		uffd_aging_stats(r->ua, &st);
		g_test_message("scan %d: %" G_GUINT64_FORMAT
			       " faults (%.1f us handler each), zap %.3f us/page"
			       " (%" G_GUINT64_FORMAT " pages, %s), user %.2f "
			       "ns/page, %" G_GUINT64_FORMAT " written",
			       i, st.faults - prev.faults,
			       (double)(st.handler_ns - prev.handler_ns) / 1e3 /
				       MAX(st.faults - prev.faults, 1),
			       (double)as.last_cost.kernel_ns / 1e3 /
				       MAX(st.zapped - prev.zapped, 1),
			       st.zapped - prev.zapped,
			       st.process_madvise ? "process_madvise" :
						    "madvise",
			       (double)as.last_cost.user_ns /
				       as.last_cost.pages,
			       as.last_cost.written);
		g_assert_cmpuint(st.errors, ==, 0);
		prev = st;
	}
}

/* Per-page precision and recall of "hot" = age < @cold_age. */
static void rig_score(Rig *r, int cold_age, double *precision, double *recall)
{
	uint64_t tp = 0, fp = 0, fn = 0, tn = 0;

	g_assert_cmpuint(data_size, ==, 64ULL << 20);
	g_assert_cmpuint(hot_size, ==, 4ULL << 20);
	for (uint64_t off = 0; off < data_size; off += PG) {
		int age = aging_page_age(r->a, data_gpa + off);
		bool hot = off < hot_size, said_hot;

		g_assert_cmpint(age, >=, 0);
		said_hot = age < cold_age;
		tp += hot && said_hot;
		fp += !hot && said_hot;
		fn += hot && !said_hot;
		tn += !hot && !said_hot;
	}
	g_test_message("hot: tp %" G_GUINT64_FORMAT " fp %" G_GUINT64_FORMAT
		       " fn %" G_GUINT64_FORMAT " tn %" G_GUINT64_FORMAT,
		       tp, fp, fn, tn);
	*precision = (double)tp / MAX(tp + fp, 1);
	*recall = (double)tp / MAX(tp + fn, 1);
}

typedef struct Case {
	const char *rw;
	unsigned sample;
	int scans, cold_age;
} Case;

static void test_case(gconstpointer data)
{
	const Case *c = data;
	g_autofree char *append = g_strconcat(HOTCOLD, c->rw, NULL);
	double precision, recall;
	const char *elf;
	AgingStats as;
	Rig r;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	rig_start(&r, elf, append, "memory-backend-memfd,id=mem0,size=96M",
		  c->sample);
	g_assert_true(harness_wait_counter(&syncs, 1, 60000));
	rig_scans(&r, c->scans);
	rig_score(&r, c->cold_age, &precision, &recall);
	g_test_message("%s, sample %u: precision %.4f recall %.4f", c->rw,
		       c->sample, precision, recall);
	g_assert_cmpfloat(precision, >=, 0.99);
	g_assert_cmpfloat(recall, >=, 0.99);
	aging_query(r.a, c->cold_age * IVAL_MS, &as);
	g_assert_cmpuint(as.scans, ==, c->scans);
	g_assert_true(as.coverage.reads);
	g_assert_true(as.coverage.writes);
	g_assert_cmpfloat(as.coverage.sampled, ==, 1.0 / c->sample);
	/* The cold data area is in the cold bytes. */
	g_assert_cmpuint(as.cold_bytes, >=, 60ULL << 20);
	rig_stop(&r);
}

/* Private anonymous guest RAM cannot be tracked: a clear error. */
static void test_private(void)
{
	g_autoptr(GError) err = NULL;
	AgingCoverage cov = uffd_aging_coverage(1);
	const char *elf;
	VmConfig *cfg;
	Machine *m;
	Aging *a;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	char *argv[] = { "kvmage",    "-m",	 "16M",	 "-kernel",
			 (char *)elf, "-serial", "none", NULL };
	cfg = options_parse(G_N_ELEMENTS(argv) - 1, argv, &err);
	g_assert_no_error(err);
	m = machine_create(cfg, NULL, &err);
	g_assert_no_error(err);
	a = aging_new("ram", &m->ram, NULL, IVAL_MS, &cov, &err);
	g_assert_no_error(err);
	g_assert_null(uffd_aging_new(a, &m->ram, NULL, 1, &err));
	g_assert_nonnull(strstr(err->message, "needs shared memory"));
	aging_free(a);
	machine_destroy(m);
	vm_config_free(cfg);
}

static const Case cases[] = {
	{ "write", 1, 6, 2 },
	{ "read", 1, 6, 2 },
	{ "read", 4, 12, 4 },
};

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_data_func("/kvm/aging-uffd/full-write", &cases[0],
			     test_case);
	g_test_add_data_func("/kvm/aging-uffd/full-read", &cases[1], test_case);
	g_test_add_data_func("/kvm/aging-uffd/sampled-read", &cases[2],
			     test_case);
	g_test_add_func("/kvm/aging-uffd/private", test_private);
	return g_test_run();
}
