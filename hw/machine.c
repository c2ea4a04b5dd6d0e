/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine: turns a VmConfig into backends, RAM banks, a KVM VM,
 * devices, a loaded guest program and vCPUs, and tears them down in
 * reverse order.
 */
#include <stdio.h>
#include <string.h>

#include "accel/kvm.h"
#include "accel/dirty-log.h"
#include "backends/hostmem.h"
#include "hw/machine.h"
#include "hw/serial.h"
#include "hw/testdev.h"
#include "hw/x86/boot.h"
#include "util/error.h"
#include "util/log.h"
#include "util/size.h"

static const DeviceModule machine_devices[] = {
	{ "serial", serial_init, serial_exit },
	{ "testdev", testdev_init, testdev_exit },
};

bool machine_log_enabled(Machine *m, const char *item)
{
	return log_item_enabled(m->cfg->debug_log, item);
}

/* Log an access no device claimed, with -d unimp.  Any thread. */
static void machine_log_unimp(Machine *m, const char *space, uint64_t addr,
			      unsigned size, bool is_write)
{
	if (machine_log_enabled(m, "unimp"))
		fprintf(stderr,
			"unimp: %s %s 0x%" G_GINT64_MODIFIER "x size %u\n",
			space, is_write ? "write" : "read", addr, size);
}

bool machine_has_cpus(Machine *m)
{
	return m->nr_vcpus > 0;
}

/* The machine QMP acts on (see machine_set_current()).  Main thread. */
static Machine *machine_cur;

void machine_set_current(Machine *m)
{
	machine_cur = m;
}

Machine *machine_current(void)
{
	return machine_cur;
}

/*
 * -machine none has no CPU or device state to reset, so a reset just
 * succeeds, as in QEMU.  Resetting a guest program (reloading the image
 * and the boot state of every vCPU) is not implemented yet.
 */
bool machine_reset(Machine *m, GError **errp)
{
	if (machine_has_cpus(m)) {
		error_setg(errp, "system_reset is not supported for guest "
				 "programs yet (machine 'pc')");
		return false;
	}
	return true;
}

void *machine_device_state(Machine *m, const char *name)
{
	for (guint i = 0; i < m->devices->len; i++) {
		if (!strcmp(machine_devices[i].name, name))
			return g_ptr_array_index(m->devices, i);
	}
	return NULL;
}

static HostMemBackend *machine_find_backend(Machine *m, const char *id)
{
	for (unsigned i = 0; i < m->backends->len; i++) {
		HostMemBackend *be = g_ptr_array_index(m->backends, i);

		if (!strcmp(be->id, id))
			return be;
	}
	return NULL;
}

/* Create and allocate every -object, in command-line order. */
static bool machine_create_backends(Machine *m, GError **errp)
{
	for (unsigned i = 0; i < m->cfg->objects->len; i++) {
		ObjectConfig *oc = g_ptr_array_index(m->cfg->objects, i);
		HostMemBackend *be;
		HostMemType type;

		/* other types (memory-aging) are built on the machine */
		if (!hostmem_type_parse(oc->qom_type, &type))
			continue;
		be = hostmem_new(type, oc->id, oc->props, errp);
		if (be) {
			g_ptr_array_add(m->backends, be);
			if (hostmem_alloc(be, errp))
				continue;
		}
		g_prefix_error(errp, "-object %s,id=%s: ", oc->qom_type,
			       oc->id);
		return false;
	}
	return true;
}

/* The backend that becomes guest RAM: named, or an implicit one of -m. */
static HostMemBackend *machine_ram_backend(Machine *m, GError **errp)
{
	VmConfig *cfg = m->cfg;
	g_autoptr(GHashTable) props = NULL;
	g_autofree char *size = NULL, *human = NULL;
	HostMemBackend *be;

	if (cfg->memory_backend) {
		be = machine_find_backend(m, cfg->memory_backend);
		if (!be) {
			error_setg(errp, "Memory backend '%s' not found",
				   cfg->memory_backend);
			return NULL;
		}
		if (cfg->ram_size_set && cfg->ram_size != be->size) {
			g_autofree char *a = size_to_str(cfg->ram_size);
			g_autofree char *b = size_to_str(be->size);

			error_setg(errp,
				   "-m %s does not match the size %s of "
				   "memory backend '%s'",
				   a, b, be->id);
			return NULL;
		}
		return be;
	}
	props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	size = g_strdup_printf("%" G_GUINT64_FORMAT, cfg->ram_size);
	g_hash_table_insert(props, g_strdup("size"), g_strdup(size));
	be = hostmem_new(HOSTMEM_RAM, "pc.ram", props, errp);
	if (be) {
		g_ptr_array_add(m->backends, be);
		if (hostmem_alloc(be, errp))
			return be;
	}
	/* the user wrote -m, not "pc.ram": name the option */
	human = size_to_str(cfg->ram_size);
	g_prefix_error(errp, "-m %s: ", human);
	return NULL;
}

static bool machine_init_devices(Machine *m, GError **errp)
{
	for (size_t i = 0; i < G_N_ELEMENTS(machine_devices); i++) {
		void *state = NULL;

		if (!machine_devices[i].init(m, &state, errp))
			return false;
		g_ptr_array_add(m->devices, state);
	}
	return true;
}

static void machine_exit_devices(Machine *m)
{
	for (guint i = m->devices->len; i > 0; i--)
		machine_devices[i - 1].exit(m, g_ptr_array_index(m->devices,
								 i - 1));
	g_ptr_array_set_size(m->devices, 0);
}

/* VcpuOps: vCPU threads; the buses are read-only once vCPUs run. */
static bool machine_vcpu_pio(void *opaque, uint64_t port, void *data,
			     unsigned size, bool is_write)
{
	Machine *m = opaque;

	if (iobus_dispatch(m->pio, port, data, size, is_write))
		return true;
	machine_log_unimp(m, "port", port, size, is_write);
	return false;
}

static bool machine_vcpu_mmio(void *opaque, uint64_t addr, void *data,
			      unsigned size, bool is_write)
{
	Machine *m = opaque;

	if (iobus_dispatch(m->mmio, addr, data, size, is_write))
		return true;
	machine_log_unimp(m, "mmio", addr, size, is_write);
	return false;
}

/* Any thread: takes m->lock through machine_request_shutdown(). */
static void machine_vcpu_request_stop(void *opaque, int status, const char *msg)
{
	machine_request_shutdown(opaque, status, "%s", msg);
}

static bool machine_vcpu_stop_requested(void *opaque)
{
	return machine_shutdown_requested(opaque);
}

static const VcpuOps machine_vcpu_ops = {
	.pio = machine_vcpu_pio,
	.mmio = machine_vcpu_mmio,
	.request_stop = machine_vcpu_request_stop,
	.stop_requested = machine_vcpu_stop_requested,
};

static bool machine_create_vcpus(Machine *m, uint64_t entry, GError **errp)
{
	m->vcpus = g_new0(Vcpu *, m->cfg->smp);
	for (unsigned i = 0; i < m->cfg->smp; i++) {
		m->vcpus[i] =
			vcpu_create(m->kvm, i, &machine_vcpu_ops, m, errp);
		if (!m->vcpus[i])
			return false;
		m->nr_vcpus++;
	}
	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		if (!x86_boot_setup_vcpu(m->kvm, &m->ram, m->vcpus[i],
					 m->cfg->cpu_hide, entry, errp))
			return false;
	}
	return true;
}

/* The pc machine: KVM, memslots, devices, guest program, vCPUs. */
static bool machine_create_pc(Machine *m, GError **errp)
{
	uint64_t entry;

	if (!m->cfg->kernel && !m->cfg->incoming) {
		error_setg(errp, "no guest program: use -kernel FILE "
				 "(kvmage has no firmware)");
		return false;
	}
	if (m->cfg->smp > BOOT_MAX_VCPUS) {
		error_setg(errp, "-smp %u: at most %u vCPUs are supported",
			   m->cfg->smp, BOOT_MAX_VCPUS);
		return false;
	}
	m->kvm = kvm_init(machine_log_enabled(m, "kvm"), errp);
	if (!m->kvm)
		return false;
	if (m->cfg->smp > m->kvm->max_vcpus) {
		error_setg(errp, "-smp %u exceeds KVM's limit of %u vCPUs",
			   m->cfg->smp, m->kvm->max_vcpus);
		return false;
	}
	if (!kvm_ram_register(m->kvm, &m->ram, errp))
		return false;
	/* The machine's dirty log: logging goes on with its first consumer. */
	m->dirty_log = dirty_log_new();
	if (!kvm_dirty_log_connect(m->kvm, m->dirty_log, &m->ram, errp))
		return false;
	if (!machine_init_devices(m, errp))
		return false;
	/* An incoming VM gets RAM and vCPU state from the stream only. */
	if (m->cfg->incoming)
		return machine_create_vcpus(m, 0, errp);
	if (!x86_boot_setup_memory(&m->ram, m->cfg->append, m->cfg->smp, errp))
		return false;
	if (!x86_load_elf(&m->ram, m->cfg->kernel, &entry, errp))
		return false;
	return machine_create_vcpus(m, entry, errp);
}

Machine *machine_create(VmConfig *cfg, GMainContext *main_ctx, GError **errp)
{
	Machine *m = g_new0(Machine, 1);
	HostMemBackend *ram;

	m->cfg = cfg;
	m->main_ctx = main_ctx;
	g_mutex_init(&m->lock);
	ram_list_init(&m->ram);
	m->backends =
		g_ptr_array_new_with_free_func((GDestroyNotify)hostmem_free);
	m->devices = g_ptr_array_new();
	m->pio = iobus_new("pio");
	m->mmio = iobus_new("mmio");

	if (!machine_create_backends(m, errp))
		goto err;
	if (!strcmp(cfg->machine_type, "none")) {
		if (cfg->kernel) {
			error_setg(errp, "-kernel: machine type 'none' has no "
					 "CPUs to run it");
			goto err;
		}
		return m;
	}
	ram = machine_ram_backend(m, errp);
	if (!ram || !ram_layout_x86(&m->ram, ram, errp))
		goto err;
	if (!machine_create_pc(m, errp))
		goto err;
	return m;

err:
	machine_destroy(m);
	return NULL;
}

bool machine_start(Machine *m, GError **errp)
{
	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		if (!vcpu_start(m->vcpus[i], m->cfg->start_paused, errp))
			return false;
	}
	return true;
}

void machine_destroy(Machine *m)
{
	bool stopped = true;

	if (!m)
		return;
	if (machine_cur == m)
		machine_cur = NULL;
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		stopped &= vcpu_stop(m->vcpus[i]);
	if (!stopped) {
		/* A vCPU still runs device code: leave everything to exit(). */
		return;
	}
	machine_exit_devices(m);
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		vcpu_destroy(m->vcpus[i]);
	g_free(m->vcpus);
	/* Its consumers are gone: logging is off, the memslots may go. */
	dirty_log_free(m->dirty_log);
	kvm_destroy(m->kvm);
	iobus_free(m->mmio);
	iobus_free(m->pio);
	ram_list_destroy(&m->ram);
	g_ptr_array_unref(m->backends);
	g_ptr_array_unref(m->devices);
	g_free(m->shutdown_reason);
	g_mutex_clear(&m->lock);
	g_free(m);
}
