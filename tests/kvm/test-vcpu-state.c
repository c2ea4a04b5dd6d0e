/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU state save/restore, in process: the vcpustate guest spins with
 * patterns in GPRs, x87 and SSE registers and checks rdtsc never goes
 * backwards.  While it spins the test pauses it, saves its state,
 * clobbers the vCPU (other GPRs, RIP, FPU/SSE registers, a small TSC),
 * loads the saved state (directly, or encoded and decoded) and resumes:
 * the guest must finish with its checks passing.  A corrupted blob must
 * be refused without touching the vCPU.
 */
#include <string.h>
#include <glib.h>

#include "accel/kvm.h"
#include "accel/kvm-state.h"
#include "hw/machine.h"
#include "system/options.h"
#include "hw/testdev.h"
#include "harness.h"

#define MSR_IA32_TSC 0x10

static gint syncs;

static void on_sync(void *opaque, const struct ucall *uc)
{
	g_atomic_int_inc(&syncs);
}

static Machine *start_guest(const char *elf, VmConfig **cfgp)
{
	char *argv[] = { "kvmage",    "-m",	 "64M",	    "-kernel",
			 (char *)elf, "-append", "ms=1500", "-serial",
			 "none",      NULL };
	g_autoptr(GError) err = NULL;
	VmConfig *cfg;
	Machine *m;

	cfg = options_parse(9, argv, &err);
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

/* Another state: the saved one with GPRs, RIP, x87/SSE and TSC changed. */
static void clobber(Vcpu *cpu, const VcpuState *saved)
{
	g_autoptr(GError) err = NULL;
	size_t size = vcpu_state_size(saved);
	g_autofree uint8_t *blob = g_malloc(size);
	VcpuState c = { 0 }, now = { 0 };

	vcpu_state_encode(saved, blob, size);
	g_assert_true(vcpu_state_decode(&c, blob, size, &err));
	c.regs.rbx = c.regs.r12 = c.regs.r13 = c.regs.r14 = c.regs.r15 = 0x5a;
	c.regs.rip += 1;
	if (c.xsave)
		memset((uint8_t *)c.xsave + 32, 0x77, 256); /* ST0-7, XMM0-7 */
	else
		memset(c.fpu.fpr, 0x77, sizeof(c.fpu.fpr));
	for (uint32_t i = 0; i < c.nr_msrs; i++)
		if (c.msrs[i].index == MSR_IA32_TSC)
			c.msrs[i].data = 1000;
	g_assert_true(vcpu_state_load(cpu, &c, &err));
	g_assert_no_error(err);
	g_assert_true(vcpu_state_save(cpu, &now, &err));
	g_assert_cmphex(now.regs.r12, ==, 0x5a);
	g_assert_cmphex(now.regs.rip, ==, saved->regs.rip + 1);
	vcpu_state_clear(&now);
	vcpu_state_clear(&c);
}

/* Garbage must be refused and leave the vCPU as it is. */
static void refuse_corrupt(Vcpu *cpu, const uint8_t *blob, size_t size)
{
	g_autofree uint8_t *bad = g_memdup2(blob, size);
	VcpuState before = { 0 }, after = { 0 }, st = { 0 };
	GError *err = NULL;

	g_assert_true(vcpu_state_save(cpu, &before, NULL));
	bad[8] ^= 0x02; /* version */
	g_assert_false(vcpu_state_decode(&st, bad, size, &err));
	g_assert_nonnull(strstr(err->message, "version"));
	g_clear_error(&err);
	g_assert_false(vcpu_state_decode(&st, blob, size - 1, &err));
	g_clear_error(&err);
	/* A decoded but incomplete state: load checks before writing. */
	st.parts = 1u << VCPU_STATE_PART_REGS;
	st.regs.rip = 0x1234;
	g_assert_false(vcpu_state_load(cpu, &st, &err));
	g_clear_error(&err);
	g_assert_true(vcpu_state_save(cpu, &after, NULL));
	g_assert_cmpmem(&before.regs, sizeof(before.regs), &after.regs,
			sizeof(after.regs));
	vcpu_state_clear(&before);
	vcpu_state_clear(&after);
}

static bool wait_exit(Machine *m, int *status)
{
	for (int i = 0; i < 3000; i++) {
		if (machine_shutdown_requested(m)) {
			machine_shutdown_status(m, status);
			return true;
		}
		timescale_sleep_ms(10);
	}
	return false;
}

static void run(bool via_blob)
{
	g_autoptr(GError) err = NULL;
	VcpuState saved = { 0 }, loaded = { 0 };
	g_autofree uint8_t *blob = NULL;
	const char *elf;
	int status = -1;
	VmConfig *cfg;
	size_t size;
	Machine *m;
	Vcpu *cpu;

	HARNESS_GUEST_OR_SKIP(elf, "vcpustate");
	m = start_guest(elf, &cfg);
	cpu = g_ptr_array_index(m->kvm->vcpus, 0);
	g_assert_true(harness_wait_counter(&syncs, 1, 20000));
	timescale_sleep_ms(300); /* into the spin */
	vcpu_pause_all(m->kvm);
	g_assert_false(machine_shutdown_requested(m));
	g_assert_true(vcpu_state_save(cpu, &saved, &err));
	g_assert_no_error(err);
	g_test_message("saved parts 0x%x, %u MSRs, xsave %u bytes", saved.parts,
		       saved.nr_msrs, saved.xsave_size);
	size = vcpu_state_size(&saved);
	blob = g_malloc(size);
	g_assert_cmpuint(vcpu_state_encode(&saved, blob, size), ==, size);
	clobber(cpu, &saved);
	if (via_blob) {
		refuse_corrupt(cpu, blob, size);
		g_assert_true(vcpu_state_decode(&loaded, blob, size, &err));
		g_assert_true(vcpu_state_load(cpu, &loaded, &err));
	} else {
		g_assert_true(vcpu_state_load(cpu, &saved, &err));
	}
	g_assert_no_error(err);
	vcpu_resume_all(m->kvm);
	g_assert_true(wait_exit(m, &status));
	g_assert_cmpint(status, ==, 0);
	vcpu_state_clear(&saved);
	vcpu_state_clear(&loaded);
	machine_destroy(m);
	vm_config_free(cfg);
}

static void test_restore(void)
{
	run(false);
}

static void test_restore_blob(void)
{
	run(true);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/kvm/vcpu-state/restore", test_restore);
	g_test_add_func("/kvm/vcpu-state/restore-blob", test_restore_blob);
	return g_test_run();
}
