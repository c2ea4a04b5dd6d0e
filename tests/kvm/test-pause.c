/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pause and resume vCPUs from the main thread, in process: the workload
 * guest reports every pass with GUEST_SYNC; while paused the count must
 * not move, after resume it must.  Also -S (start paused).
 */
#include <string.h>
#include <glib.h>

#include "accel/kvm.h"
#include "hw/machine.h"
#include "system/options.h"
#include "hw/testdev.h"
#include "harness.h"

static gint syncs;

static void on_sync(void *opaque, const struct ucall *uc)
{
	g_atomic_int_inc(&syncs);
}

static Machine *start_workload(const char *elf, bool paused, VmConfig **cfgp)
{
	char *argv[] = {
		"kvmage",    "-m",	"64M",
		"-smp",	     "2",	"-kernel",
		(char *)elf, "-append", "size=8M passes=0 pattern=uniform",
		"-serial",   "none",	paused ? "-S" : NULL,
		NULL
	};
	g_autoptr(GError) err = NULL;
	VmConfig *cfg;
	Machine *m;

	cfg = options_parse(paused ? 12 : 11, argv, &err);
	g_assert_no_error(err);
	m = machine_create(cfg, NULL, &err);
	g_assert_no_error(err);
	testdev_set_output(machine_device_state(m, "testdev"), stderr);
	testdev_set_sync_hook(machine_device_state(m, "testdev"), on_sync,
			      NULL);
	g_atomic_int_set(&syncs, 0);
	g_assert_true(machine_start(m, &err));
	*cfgp = cfg;
	return m;
}

static void test_pause_resume(void)
{
	const char *elf;
	VmConfig *cfg;
	Machine *m;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	m = start_workload(elf, false, &cfg);

	g_assert_true(harness_wait_counter(&syncs, 3, 10000));
	for (int round = 0; round < 20; round++) {
		int before, after;

		vcpu_pause_all(m->kvm);
		before = g_atomic_int_get(&syncs);
		/* time for a SYNC that should not come to show */
		timescale_sleep_ms(round == 0 ? 300 : 20);
		after = g_atomic_int_get(&syncs);
		g_assert_cmpint(before, ==, after);
		vcpu_resume_all(m->kvm);
		g_assert_true(harness_wait_counter(&syncs, after + 2, 10000));
	}
	g_assert_false(machine_shutdown_requested(m));
	machine_destroy(m);
	vm_config_free(cfg);
}

static void test_start_paused(void)
{
	const char *elf;
	VmConfig *cfg;
	Machine *m;

	HARNESS_GUEST_OR_SKIP(elf, "workload");
	m = start_workload(elf, true, &cfg);

	timescale_sleep_ms(300);
	g_assert_cmpint(g_atomic_int_get(&syncs), ==, 0);
	vcpu_resume_all(m->kvm);
	g_assert_true(harness_wait_counter(&syncs, 2, 10000));
	machine_destroy(m);
	vm_config_free(cfg);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/kvm/pause/resume", test_pause_resume);
	g_test_add_func("/kvm/pause/start-paused", test_start_paused);
	return g_test_run();
}
