/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vcpu and device sections (migration/sections-*.c) on a real VM, in
 * process: the vcpustate guest spins with patterns in its registers and
 * checks rdtsc never goes backwards.  While it spins the test pauses it,
 * saves the vCPU (and devices) sections into a pipe, clobbers the vCPU,
 * loads the sections back and resumes: the guest must finish with its
 * checks passing.  A stream for another vCPU count, a truncated one or
 * another section must be refused without touching the vCPU.  The
 * devices' state makes the same round trip, over a clobbered state.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "accel/kvm.h"
#include "accel/kvm-state.h"
#include "hw/machine.h"
#include "hw/serial.h"
#include "hw/testdev.h"
#include "migration/sections.h"
#include "system/options.h"
#include "harness.h"

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

/* A pipe big enough for the sections, written in this (main) thread. */
static void big_pipe(int fds[2])
{
	g_assert_cmpint(pipe(fds), ==, 0);
	g_assert_cmpint(fcntl(fds[1], F_SETPIPE_SZ, 1 << 20), >=, 1 << 20);
}

/* Another state: GPRs, RIP, x87/SSE registers changed. */
static void clobber(Vcpu *cpu)
{
	g_autoptr(GError) err = NULL;
	VcpuState c = { 0 };

	g_assert_true(vcpu_state_save(cpu, &c, &err));
	c.regs.rbx = c.regs.r12 = c.regs.r13 = c.regs.r14 = c.regs.r15 = 0x5a;
	c.regs.rip += 1;
	if (c.xsave)
		memset((uint8_t *)c.xsave + 32, 0x77, 256); /* ST0-7, XMM0-7 */
	else
		memset(c.fpu.fpr, 0x77, sizeof(c.fpu.fpr));
	g_assert_true(vcpu_state_load(cpu, &c, &err));
	vcpu_state_clear(&c);
}

static void regs_of(Vcpu *cpu, struct kvm_regs *regs)
{
	VcpuState st = { 0 };

	g_assert_true(vcpu_state_save(cpu, &st, NULL));
	*regs = st.regs;
	vcpu_state_clear(&st);
}

/* Load @len bytes of @fd's stream from its start: must fail with @want. */
static void refuse(KvmState *kvm, Vcpu *cpu, int fd, uint64_t len,
		   const char *want)
{
	g_autoptr(MigStream) s = NULL;
	struct kvm_regs before, after;
	GError *err = NULL;

	regs_of(cpu, &before);
	g_assert_cmpint(ftruncate(fd, len), ==, 0);
	g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
	s = mig_stream_new(fd, false);
	g_assert_false(mig_vcpus_load(s, kvm, &err));
	g_test_message("%s", err->message);
	g_assert_nonnull(strstr(err->message, want));
	g_clear_error(&err);
	regs_of(cpu, &after);
	g_assert_cmpmem(&before, sizeof(before), &after, sizeof(after));
}

/* Refusals, from a file holding the vCPU sections of @kvm. */
static void refusals(KvmState *kvm, Vcpu *cpu)
{
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("kvmage-vcpu-XXXXXX", &path, NULL);
	KvmState two = *kvm;
	MigStream *s;
	uint64_t size;

	g_assert_cmpint(fd, >=, 0);
	unlink(path);
	s = mig_stream_new(fd, true);
	g_assert_true(mig_vcpus_save(s, kvm, NULL));
	g_assert_true(mig_stream_flush(s, NULL));
	size = mig_stream_offset(s);
	mig_stream_free(s);

	/* a VM with two vCPUs (the same one twice: nothing is loaded) */
	two.vcpus = g_ptr_array_new();
	g_ptr_array_add(two.vcpus, cpu);
	g_ptr_array_add(two.vcpus, cpu);
	refuse(&two, cpu, fd, size,
	       "migration stream has 1 vCPUs, this VM has 2");
	g_ptr_array_free(two.vcpus, true);
	/* a blob that does not decode: its version changed */
	g_assert_cmpint(pwrite(fd, "\x7f", 1, 8 + 16 + 8), ==, 1);
	refuse(kvm, cpu, fd, size, "vCPU 0: ");
	refuse(kvm, cpu, fd, size - 1, "truncated stream: vCPU state");
	refuse(kvm, cpu, fd, 12, "truncated stream: vCPU count");
	close(fd);
}

static void test_vcpus(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(MigStream) w = NULL, r = NULL;
	MigSectionType type;
	const char *elf;
	int status = -1, fds[2];
	VmConfig *cfg;
	uint32_t id;
	Machine *m;
	Vcpu *cpu;

	HARNESS_GUEST_OR_SKIP(elf, "vcpustate");
	m = start_guest(elf, &cfg);
	cpu = g_ptr_array_index(m->kvm->vcpus, 0);
	g_assert_true(harness_wait_counter(&syncs, 1, 20000));
	timescale_sleep_ms(300); /* into the spin */
	vcpu_pause_all(m->kvm);
	g_assert_false(machine_shutdown_requested(m));

	big_pipe(fds);
	w = mig_stream_new(fds[1], true);
	r = mig_stream_new(fds[0], false);
	g_assert_true(mig_vcpus_save(w, m->kvm, &err));
	g_assert_true(mig_end_write(w, &err));
	g_assert_no_error(err);
	refusals(m->kvm, cpu);
	clobber(cpu);
	g_assert_true(mig_section_peek(r, &type, &id, &err));
	g_assert_cmpint(type, ==, MIG_SECTION_VCPU);
	g_assert_true(mig_vcpus_load(r, m->kvm, &err));
	g_assert_no_error(err);
	g_assert_true(mig_section_read(r, &type, &id, &err));
	g_assert_cmpint(type, ==, MIG_SECTION_END);
	close(fds[0]);
	close(fds[1]);

	vcpu_resume_all(m->kvm);
	g_assert_true(wait_exit(m, &status));
	g_assert_cmpint(status, ==, 0);
	machine_destroy(m);
	vm_config_free(cfg);
}

static const uint8_t serial_pattern[SERIAL_STATE_SIZE] = { 0x05, 0x03, 0x0b,
							   0x5a, 0xc1, 0x01,
							   0x00, 0x01 };

/* The devices' states as their save functions give them. */
static void dev_bytes(Machine *m, uint8_t ser[SERIAL_STATE_SIZE],
		      uint8_t td[TESTDEV_STATE_SIZE])
{
	g_assert_cmpuint(serial_state_save(machine_device_state(m, "serial"),
					   ser, SERIAL_STATE_SIZE),
			 ==, SERIAL_STATE_SIZE);
	g_assert_cmpuint(testdev_state_save(machine_device_state(m, "testdev"),
					    td, TESTDEV_STATE_SIZE),
			 ==, TESTDEV_STATE_SIZE);
}

static void set_devs(Machine *m, const uint8_t *ser, const uint8_t *td)
{
	g_autoptr(GError) err = NULL;

	g_assert_true(serial_state_load(machine_device_state(m, "serial"),
					SERIAL_STATE_VERSION, ser,
					SERIAL_STATE_SIZE, &err));
	g_assert_true(testdev_state_load(machine_device_state(m, "testdev"),
					 TESTDEV_STATE_VERSION, td,
					 TESTDEV_STATE_SIZE, &err));
}

/* Device refusals, each on the stream @w makes; the state stays. */
static void dev_refuse(Machine *m, const uint8_t *stream, size_t len,
		       const char *want)
{
	uint8_t ser[SERIAL_STATE_SIZE], td[TESTDEV_STATE_SIZE];
	uint8_t ser2[SERIAL_STATE_SIZE], td2[TESTDEV_STATE_SIZE];
	g_autoptr(MigStream) r = NULL;
	GError *err = NULL;
	int fds[2];

	dev_bytes(m, ser, td);
	big_pipe(fds);
	g_assert_cmpint(write(fds[1], stream, len), ==, (ssize_t)len);
	close(fds[1]);
	r = mig_stream_new(fds[0], false);
	g_assert_false(mig_devices_load(r, m, &err));
	g_test_message("%s", err->message);
	g_assert_nonnull(strstr(err->message, want));
	g_clear_error(&err);
	close(fds[0]);
	dev_bytes(m, ser2, td2);
	g_assert_cmpmem(ser, sizeof(ser), ser2, sizeof(ser2));
	g_assert_cmpmem(td, sizeof(td), td2, sizeof(td2));
}

/* The section layout of docs/interop/migration-stream.rst, by hand. */
static size_t dev_section(uint8_t *p, uint32_t id, uint32_t n, const char *name,
			  uint32_t dev_version, const uint8_t *state,
			  uint32_t len)
{
	uint32_t words[] = { MIG_SECTION_DEVICE, id, MIG_DEVICE_VERSION, n,
			     strlen(name) };
	size_t off = 0;

	for (unsigned i = 0; i < G_N_ELEMENTS(words); i++, off += 4)
		memcpy(p + off, &words[i], 4); /* little-endian host */
	memcpy(p + off, name, strlen(name));
	off += strlen(name);
	memcpy(p + off, &dev_version, 4);
	memcpy(p + off + 4, &len, 4);
	memcpy(p + off + 8, state, len);
	return off + 8 + len;
}

static void dev_refusals(Machine *m)
{
	uint8_t buf[256], bad[SERIAL_STATE_SIZE];
	const uint8_t zero[8] = { 0 };
	size_t n;

	n = dev_section(buf, 0, 2, "testdev", 1, serial_pattern, 8);
	dev_refuse(m, buf, n,
		   "stream has device 'testdev' (section 0), this "
		   "VM has 'serial'");
	n = dev_section(buf, 0, 3, "serial", 1, serial_pattern, 8);
	dev_refuse(m, buf, n, "migration stream has 3 devices, this VM has 2");
	n = dev_section(buf, 0, 2, "serial", 2, serial_pattern, 8);
	n += dev_section(buf + n, 1, 2, "testdev", 1, zero, 8);
	dev_refuse(m, buf, n, "serial: state version 2 of 8 bytes");
	memcpy(bad, serial_pattern, sizeof(bad));
	bad[0] = 0xff;
	n = dev_section(buf, 0, 2, "serial", 1, bad, 8);
	n += dev_section(buf + n, 1, 2, "testdev", 1, zero, 8);
	dev_refuse(m, buf, n, "serial: bad state: IER 0xff");
	n = dev_section(buf, 0, 2, "serial", 1, serial_pattern, 8);
	dev_refuse(m, buf, n - 3, "truncated stream: device state");
	dev_refuse(m, buf, n, "truncated stream: section type");
}

static void test_devices(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(MigStream) w = NULL, r = NULL;
	uint8_t ser[SERIAL_STATE_SIZE], td[TESTDEV_STATE_SIZE];
	uint8_t ser2[SERIAL_STATE_SIZE], td2[TESTDEV_STATE_SIZE];
	const uint8_t zero[8] = { 0 };
	const char *elf;
	int status = -1, fds[2];
	VmConfig *cfg;
	Machine *m;

	HARNESS_GUEST_OR_SKIP(elf, "vcpustate");
	m = start_guest(elf, &cfg);
	g_assert_true(harness_wait_counter(&syncs, 1, 20000));
	vcpu_pause_all(m->kvm);
	dev_bytes(m, ser, td);
	g_assert_cmpuint(GUINT64_FROM_LE(*(uint64_t *)td), ==,
			 g_atomic_int_get(&syncs)); /* the guest's calls */
	set_devs(m, serial_pattern, td);
	dev_bytes(m, ser, td);

	big_pipe(fds);
	w = mig_stream_new(fds[1], true);
	r = mig_stream_new(fds[0], false);
	g_assert_true(mig_devices_save(w, m, &err));
	g_assert_true(mig_stream_flush(w, &err));
	set_devs(m, zero, zero);
	dev_refusals(m);
	g_assert_true(mig_devices_load(r, m, &err));
	g_assert_no_error(err);
	close(fds[0]);
	close(fds[1]);
	dev_bytes(m, ser2, td2);
	g_assert_cmpmem(ser, sizeof(ser), ser2, sizeof(ser2));
	g_assert_cmpmem(td, sizeof(td), td2, sizeof(td2));

	vcpu_resume_all(m->kvm);
	g_assert_true(wait_exit(m, &status));
	g_assert_cmpint(status, ==, 0);
	machine_destroy(m);
	vm_config_free(cfg);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	signal(SIGPIPE, SIG_IGN);
	g_test_add_func("/kvm/migration/vcpus", test_vcpus);
	g_test_add_func("/kvm/migration/devices", test_devices);
	return g_test_run();
}
