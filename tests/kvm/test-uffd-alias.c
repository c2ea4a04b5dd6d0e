/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmage's own accesses to guest RAM go through the unregistered alias, in
 * process, on a memory-backend-memfd guest whose vCPUs never run: with uffd
 * full tracking armed (every page zapped), reads and writes through
 * ram_gpa_to_hva() and a ucall handled by the testdev (which reads its
 * arguments and writes its result in guest RAM) raise no userfault and
 * leave the pages' ages alone.  With a tracker that has no handler thread
 * at all, the same accesses still complete: nothing waits on a fault.
 */
#include <string.h>
#include <glib.h>

#include "aging/feed.h"
#include "memory/uffd-track.h"
#include "aging/aging.h"
#include "hw/machine.h"
#include "hw/testdev.h"
#include "kvmage/guest-abi.h"
#include "../proven-ages.h"
#include "aging-rig.h"
#include "harness.h"

#define PG	   4096ULL
#define IVAL_MS	   100
#define VMM_GPA	   (8ULL << 20) /* pages kvmage reads and writes */
#define VMM_PAGES  64
#define UCALL_GPA  (12ULL << 20) /* where the test's ucall lives */
#define QUIET_GPA  (16ULL << 20) /* pages nobody touches */
#define SYNC_STAGE 4242

typedef struct Rig {
	VmConfig *cfg;
	Machine *m;
	uint64_t synced; /* args[1] of the last SYNC seen by the hook */
} Rig;

static void on_sync(void *opaque, const struct ucall *uc)
{
	Rig *r = opaque;

	if (uc->args[0] == SYNC_STAGE)
		r->synced = uc->args[1];
}

/*
 * A 32 MiB memfd guest, built but never started.  Preallocated: a page
 * that is not in the page cache takes an ordinary missing fault, which
 * MINOR registration does not see, so only present pages test anything.
 */
static bool rig_init(Rig *r)
{
	g_autoptr(GError) err = NULL;
	const char *elf = harness_guest("workload");

	if (!elf) {
		g_test_skip("guest program 'workload' not built");
		return false;
	}
	char *argv[] = { "kvmage",
			 "-m",
			 "32M",
			 "-kernel",
			 (char *)elf,
			 "-serial",
			 "none",
			 "-object",
			 "memory-backend-memfd,id=mem0,size=32M,prealloc=on",
			 "-machine",
			 "memory-backend=mem0",
			 NULL };
	memset(r, 0, sizeof(*r));
	r->m = rig_machine_new(argv, on_sync, r, &r->cfg, &err);
	g_assert_no_error(err);
	return true;
}

static void rig_fini(Rig *r)
{
	rig_machine_free(r->m, r->cfg);
}

/*
 * What a device does: write and read back VMM_PAGES pages, then handle a
 * SYNC ucall whose struct the "guest" left at UCALL_GPA (written here
 * through the alias too).  Returns the sum of the bytes read.
 */
static uint64_t vmm_accesses(Rig *r)
{
	uint64_t gpa = UCALL_GPA, sum = 0;
	struct ucall *uc;

	for (unsigned i = 0; i < VMM_PAGES; i++) {
		volatile uint8_t *p =
			ram_gpa_to_hva(&r->m->ram, VMM_GPA + i * PG, PG);

		g_assert_nonnull((void *)p);
		p[0] = i;
		p[PG - 1] = i;
		sum += p[0] + p[PG - 1];
	}
	uc = ram_gpa_to_hva(&r->m->ram, UCALL_GPA, sizeof(*uc));
	g_assert_nonnull(uc);
	memset(uc, 0, sizeof(*uc));
	uc->cmd = UCALL_SYNC;
	uc->args[0] = SYNC_STAGE;
	uc->args[1] = 0x600d;
	uc->ret = 0xdead;
	g_assert_true(iobus_dispatch(r->m->mmio, UCALL_MMIO_GPA, &gpa,
				     sizeof(gpa), true));
	return sum;
}

static void test_no_fault(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(AgingAges) ex = NULL;
	AgingCoverage cov = aging_feed_uffd.coverage(1);
	UffdTrackStats st0, st;
	struct ucall *uc;
	AgingFeedEnv env;
	AgingFeed feed;
	Aging *a;
	Rig r;

	if (!rig_init(&r))
		return;
	a = aging_new("mem0", &r.m->ram, NULL, IVAL_MS, &cov, &err);
	g_assert_no_error(err);
	env = rig_feed_env(r.m);
	aging_feed_new(&feed, &aging_feed_uffd, &env, a, NULL, 1, false, &err);
	g_assert_no_error(err);
	/* every page is armed; two idle scans age everything to 2 */
	g_assert_true(aging_feed_scan(&feed, 1, &err));
	g_assert_true(aging_feed_scan(&feed, 1, &err));
	aging_feed_uffd_stats(&feed, &st0);

	g_assert_cmpuint(vmm_accesses(&r), ==, VMM_PAGES * (VMM_PAGES - 1));
	g_assert_cmpuint(r.synced, ==, 0x600d);
	uc = ram_gpa_to_hva(&r.m->ram, UCALL_GPA, sizeof(*uc));
	g_assert_cmpuint(uc->ret, ==, 1); /* the host's SYNC count */

	aging_feed_uffd_stats(&feed, &st);
	g_assert_cmpuint(st.faults, ==, st0.faults);
	g_assert_cmpuint(st.eexist, ==, st0.eexist);
	g_assert_cmpuint(st.errors, ==, 0);
	g_assert_true(aging_feed_scan(&feed, 1, &err));
	g_assert_no_error(err);
	aging_feed_uffd_stats(&feed, &st);
	g_assert_cmpuint(st.faults, ==, st0.faults);
	/* the pages kvmage touched age like the ones nobody touched */
	ex = ages_export_at(a, &r.m->ram, QUIET_GPA);
	g_assert_cmpuint(ages_at(a, ex, QUIET_GPA), ==, 3);
	for (unsigned i = 0; i < VMM_PAGES; i++)
		g_assert_cmpuint(ages_at(a, ex, VMM_GPA + i * PG), ==, 3);
	g_assert_cmpuint(ages_at(a, ex, UCALL_GPA), ==, 3);

	/* the guest's view has the data once it faults it back in */
	g_assert_cmpuint(((volatile uint8_t *)
				  r.m->ram.head->host)[VMM_GPA + 5 * PG],
			 ==, 5);
	/* counted after the faulter was woken: give the handler time */
	for (gint64 end = timescale_deadline(1000);
	     g_get_monotonic_time() < end;) {
		aging_feed_uffd_stats(&feed, &st);
		if (st.faults > st0.faults)
			break;
		g_usleep(1000);
	}
	g_assert_cmpuint(st.faults, ==, st0.faults + 1);
	aging_feed_free(&feed);
	aging_free(a);
	rig_fini(&r);
}

typedef struct Vmm {
	Rig *r;
	uint64_t sum;
	gint done;
} Vmm;

static gpointer vmm_thread(gpointer opaque)
{
	Vmm *v = opaque;

	v->sum = vmm_accesses(v->r);
	g_atomic_int_set(&v->done, 1);
	return NULL;
}

/* No handler: a VMM access through the guest mapping would never return. */
static void test_no_handler(void)
{
	g_autoptr(GError) err = NULL;
	RamBank *b;
	UffdTrack *t;
	GThread *th;
	Vmm v = { 0 };
	Rig r;

	if (!rig_init(&r))
		return;
	b = r.m->ram.head;
	g_assert_nonnull(b->host_alias);
	t = uffd_track_new("mem0", b->host, b->size, b->page_size,
			   UFFD_TRACK_NO_HANDLER, &err);
	g_assert_no_error(err);
	g_assert_true(uffd_track_zap(t, 1, 1, 0, &err));
	v.r = &r;
	th = g_thread_new("vmm", vmm_thread, &v);
	g_assert_true(harness_wait_counter(&v.done, 1, 10000));
	/* closing the uffd releases the thread if it was stuck */
	uffd_track_free(t);
	g_thread_join(th);
	g_assert_cmpuint(v.sum, ==, VMM_PAGES * (VMM_PAGES - 1));
	g_assert_cmpuint(r.synced, ==, 0x600d);
	rig_fini(&r);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/kvm/uffd-alias/no-fault", test_no_fault);
	g_test_add_func("/kvm/uffd-alias/no-handler", test_no_handler);
	return g_test_run();
}
