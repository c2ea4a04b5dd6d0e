/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine: RAM banks, buses, devices and vCPUs of one VM.
 *
 * Locking: fields are set up by the main thread before vCPUs start and are
 * read-only afterwards, except the shutdown request, which is protected by
 * @lock and may be raised from any thread.
 */
#ifndef HW_MACHINE_H
#define HW_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "hw/vm-config.h"
#include "memory/ram.h"
#include "hw/iobus.h"

typedef struct KvmState KvmState;
typedef struct Vcpu Vcpu;
typedef struct DirtyLog DirtyLog;

typedef struct Machine {
	VmConfig *cfg;
	RamList ram;
	GPtrArray *backends; /* HostMemBackend *, owned */
	KvmState *kvm;
	IoBus *pio;
	IoBus *mmio;
	Vcpu **vcpus;
	unsigned nr_vcpus;
	GPtrArray *devices;  /* opaque state of initialised device modules */
	DirtyLog *dirty_log; /* of the memslots (memory/dirty-log.h), or NULL */

	GMutex lock; /* protects the fields below */
	bool shutdown_requested;
	int exit_status;
	char *shutdown_reason;
	GMainContext *main_ctx; /* woken on shutdown requests */
} Machine;

/*
 * Ask the main loop to stop the VM and exit with @status.  The first
 * request wins; later ones are ignored.  Safe from any thread.
 */
void machine_request_shutdown(Machine *m, int status, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
bool machine_shutdown_requested(Machine *m);
/* Exit status and reason of the first request (NULL if none).  Any thread. */
const char *machine_shutdown_status(Machine *m, int *status);

/*
 * Build the machine described by @cfg: memory backends (allocated and
 * preallocated), RAM banks, and unless the machine type is "none", the KVM
 * VM with its memslots, devices, the -kernel image and the vCPUs (created,
 * not started).  @main_ctx is woken when a shutdown is requested.
 */
Machine *machine_create(VmConfig *cfg, GMainContext *main_ctx, GError **errp);
/* Start the vCPU threads, paused if -S. */
bool machine_start(Machine *m, GError **errp);
/* Stop vCPUs, tear devices down in reverse order, release memory. */
void machine_destroy(Machine *m);
/* True if the machine has vCPUs to run ("none" has none). */
bool machine_has_cpus(Machine *m);
/*
 * Reset the machine: succeeds for "none" (nothing to reset); fails for a
 * machine with vCPUs (not implemented).  Main thread.
 */
bool machine_reset(Machine *m, GError **errp);

/*
 * The machine QMP commands act on (QEMU's current_machine): set by the
 * one that builds the VM (system/vm.c) once it is complete, NULL before
 * and after (machine_destroy() clears it).  Main thread.
 */
void machine_set_current(Machine *m);
Machine *machine_current(void);

/* State of the initialised device module @name ("serial", "testdev"). */
void *machine_device_state(Machine *m, const char *name);

/* -d ITEM given on the command line? ("ucall", "unimp", "kvm") */
bool machine_log_enabled(Machine *m, const char *item);

/* Device modules, kvmtool style: init in table order, exit in reverse. */
typedef struct DeviceModule {
	const char *name;
	bool (*init)(Machine *m, void **state, GError **errp);
	void (*exit)(Machine *m, void *state);
} DeviceModule;

#endif
