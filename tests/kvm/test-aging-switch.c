/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The run-time aging backend switch, in process, where a failure can be
 * provoked after validation: -object memory-aging on a memfd with the
 * workload guest (pattern=hotcold rw=write, verify=on) running, driven
 * through the QMP command functions from this (the main) thread.
 *
 * failed-build: another userfaultfd registers the guest RAM first, so
 * building the uffd backend fails in UFFDIO_REGISTER (EBUSY) after every
 * check passed.  The switch must return a GenericError naming the
 * failure and leave dirty-log scanning with its ages intact: same scans
 * counting on, the cold data still cold, the hot set still young.  Once
 * the other userfaultfd is gone the same switch works, and back.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <glib.h>

#include "aging/aging-object.h"
#include "hw/machine.h"
#include "hw/testdev.h"
#include "system/vm.h"
#include "qapi-commands.h"
#include "util/error.h"
#include "aging-rig.h"
#include "harness.h"

#define MiB	  (1024 * 1024ULL)
#define RAM	  (96 * MiB)
#define HOT	  (4 * MiB)
#define COLD_DATA (60 * MiB)
#define SLACK	  (1 * MiB)

static RigWorkload wl;

static void on_sync(void *opaque, const struct ucall *uc)
{
	(void)opaque;
	rig_workload_sync(&wl, uc);
}

/* The single object's state, cold threshold 200 ms (4 intervals). */
static MemoryAgingInfo *query(void)
{
	g_autoptr(GError) err = NULL;
	MemoryAgingInfoList *l = NULL;
	q_obj_query_memory_aging_arg arg = {
		.has_cold_threshold_ms = true,
		.cold_threshold_ms = 200,
	};
	MemoryAgingInfo *info;

	g_assert_true(qmp_query_memory_aging(&arg, &l, &err));
	g_assert_no_error(err);
	g_assert_nonnull(l);
	g_assert_null(l->next);
	info = l->value;
	l->value = NULL;
	qapi_free_MemoryAgingInfoList(l);
	return info;
}

static int64_t scans(void)
{
	MemoryAgingInfo *info = query();
	int64_t n = info->scans;

	qapi_free_MemoryAgingInfo(info);
	return n;
}

static void wait_scans(int64_t n)
{
	gint64 end = timescale_deadline(10000);

	while (scans() < n && g_get_monotonic_time() < end)
		g_usleep(10000);
	g_assert_cmpint(scans(), >=, n);
}

/* Hot set young, everything else cold, as with exact ages. */
static bool settled(const MemoryAgingInfo *info)
{
	uint64_t young = info->histogram->value->bytes;

	return young >= HOT && young <= HOT + SLACK &&
	       info->cold_bytes + young == RAM;
}

static MemoryAgingInfo *wait_settled(void)
{
	gint64 end = timescale_deadline(20000);
	MemoryAgingInfo *info;

	for (;;) {
		info = query();
		if (settled(info) || g_get_monotonic_time() > end)
			return info;
		qapi_free_MemoryAgingInfo(info);
		g_usleep(20000);
	}
}

static bool set_backend(MemoryAgingBackend b, GError **errp)
{
	q_obj_memory_aging_set_arg arg = {
		.id = (char *)"age0",
		.has_backend = true,
		.backend = b,
	};

	return qmp_memory_aging_set(&arg, errp);
}

/* A userfaultfd with MINOR registration over [@host, @host + @size). */
static int uffd_grab(void *host, uint64_t size)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_MINOR_SHMEM };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)host, .len = size },
		.mode = UFFDIO_REGISTER_MODE_MINOR,
	};
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ioctl(fd, UFFDIO_API, &api), ==, 0);
	g_assert_cmpint(ioctl(fd, UFFDIO_REGISTER, &reg), ==, 0);
	return fd;
}

static void test_failed_build(void)
{
	const char *elf;
	char *argv[] = {
		"kvmage",
		"-smp",
		"1",
		"-kernel",
		NULL, /* elf */
		"-append",
		"size=64M hot=4M pattern=hotcold passes=0 rw=write",
		"-serial",
		"none",
		"-object",
		"memory-backend-memfd,id=mem0,size=96M",
		"-machine",
		"memory-backend=mem0",
		"-object",
		"memory-aging,id=age0,memdev=mem0,backend=dirty-log,"
		"interval=50",
		NULL,
	};
	g_autoptr(GError) err = NULL;
	MemoryAgingInfo *info, *after;
	VmConfig *cfg;
	Machine *m;
	RamBank *b;
	int64_t s0;
	int fd;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	argv[4] = (char *)elf;
	m = rig_machine_new(argv, on_sync, NULL, &cfg, &err);
	g_assert_no_error(err);
	rig_workload_reset(&wl);
	g_assert_true(vm_start(m, &err));
	g_assert_no_error(err);
	g_assert_true(harness_wait_counter(&wl.syncs, 2, 60000));

	info = wait_settled();
	g_assert_true(settled(info));
	g_assert_cmpint(info->backend, ==, MEMORY_AGING_BACKEND_DIRTY_LOG);

	/* someone else holds the range: the uffd backend cannot register */
	b = m->ram.head;
	g_assert_nonnull(b);
	g_assert_cmpuint(b->size, ==, RAM);
	fd = uffd_grab(b->host, b->size);
	g_assert_false(set_backend(MEMORY_AGING_BACKEND_UFFD, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_test_message("failed switch: %s", err->message);
	g_assert_nonnull(strstr(err->message, "switch from dirty-log to uffd"));
	g_clear_error(&err);

	/* dirty-log goes on: same ages, same counter, same coverage */
	after = query();
	g_assert_cmpint(after->backend, ==, MEMORY_AGING_BACKEND_DIRTY_LOG);
	g_assert_false(after->coverage->reads);
	g_assert_true(after->enabled);
	g_assert_cmpint(after->scans, >=, info->scans);
	g_assert_cmpint(after->cold_bytes, >=, COLD_DATA);
	s0 = after->scans;
	qapi_free_MemoryAgingInfo(after);
	wait_scans(s0 + 5);
	after = wait_settled();
	g_assert_true(settled(after));
	qapi_free_MemoryAgingInfo(after);
	g_assert_cmpint(close(fd), ==, 0);

	/* now it works, and back */
	g_assert_true(set_backend(MEMORY_AGING_BACKEND_UFFD, &err));
	g_assert_no_error(err);
	after = query();
	g_assert_cmpint(after->backend, ==, MEMORY_AGING_BACKEND_UFFD);
	g_assert_true(after->coverage->reads);
	/* dirty-log never saw reads: the uffd ages start from the switch */
	g_assert_cmpint(after->proven_cold_bytes, ==, 0);
	qapi_free_MemoryAgingInfo(after);
	after = wait_settled();
	g_assert_true(settled(after));
	qapi_free_MemoryAgingInfo(after);
	wait_scans(s0 + 10);
	g_assert_true(set_backend(MEMORY_AGING_BACKEND_DIRTY_LOG, &err));
	g_assert_no_error(err);
	wait_scans(s0 + 15);
	after = wait_settled();
	g_assert_true(settled(after));
	g_assert_cmpint(after->backend, ==, MEMORY_AGING_BACKEND_DIRTY_LOG);
	qapi_free_MemoryAgingInfo(after);
	/* the guest, verifying every touch, is still at it */
	s0 = g_atomic_int_get(&wl.syncs);
	g_assert_true(harness_wait_counter(&wl.syncs, s0 + 10, 60000));
	g_assert_false(machine_shutdown_requested(m));

	qapi_free_MemoryAgingInfo(info);
	vcpu_pause_all(m->kvm);
	rig_machine_free(m, cfg);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/kvm/aging-switch/failed-build", test_failed_build);
	return g_test_run();
}
