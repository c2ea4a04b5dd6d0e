/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration stream's sections beyond the full RAM section
 * (docs/interop/migration-stream.rst): vCPU state, device state, memory
 * ages, and the dirty pages of a precopy pass.
 *
 * Every function here writes, or reads, its own section headers: a save
 * writes its group of sections (header and body), a load reads the
 * group, section headers included, and fails with a clear message on a
 * section of another type ("expected a section of type 'vcpu', got 'ram'
 * (id 0) at offset N").  An engine that dispatches on the type looks at the next
 * section with mig_section_peek() and calls the matching load.  Each
 * group says how many sections it has, so a load knows where it ends:
 *  - vcpu: one section per vCPU (id = vCPU index), each carrying the count;
 *  - device: one section per device (id = its position), carrying the
 *    count and the device name;
 *  - ages: one section per aged bank (id = bank index among the migrating
 *    banks), carrying the count; no aged bank: one section of id
 *    MIG_AGES_NONE saying 0;
 *  - ram-dirty: one section per pass (id 0), records up to an END record.
 *
 * Locking: the stream belongs to the calling thread; what each function
 * reads or writes must be quiet meanwhile, as each says.
 */
#ifndef MIGRATION_SECTIONS_H
#define MIGRATION_SECTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "accel/kvm.h"
#include "hw/machine.h"
#include "memory/dirty-log.h"
#include "memory/ram.h"
#include "migration/ram.h"
#include "migration/stream.h"

/* Versions of the section bodies (each body starts with its version). */
#define MIG_VCPU_VERSION   1
#define MIG_DEVICE_VERSION 1
#define MIG_AGES_VERSION   1

/* The most a vCPU state blob may be (the codec's limits fit well inside). */
#define MIG_VCPU_MAX_BLOB    (4u << 20)
/* The most a device state may be. */
#define MIG_DEVICE_MAX_STATE 4096
/* Id of the one ages section sent when no bank is aged. */
#define MIG_AGES_NONE	     0xffffffffu

/*
 * vCPUs: every vCPU of @kvm (kvm->vcpus, in index order) must be paused
 * (vcpu_pause_all()) or not started.  Main thread.
 *
 * Save: one vcpu section per vCPU with vcpu_state_encode()'s blob.
 * Load: the stream's vCPU count must equal @kvm's ("migration stream has
 * N vCPUs, this VM has M"); every blob is decoded before the first is
 * loaded, so a bad blob or a truncated stream leaves the vCPUs untouched;
 * a load KVM refuses part way leaves the earlier vCPUs loaded.
 */
bool mig_vcpus_save(MigStream *s, KvmState *kvm, GError **errp);
bool mig_vcpus_load(MigStream *s, KvmState *kvm, GError **errp);

/*
 * Devices: the state the guest can observe of each initialised device
 * module of @m that has any ("serial", "testdev"), one device section
 * each, by name.  vCPUs paused or not started (devices run in vCPU
 * threads; each device locks its own state too).  Main thread.
 *
 * Load: the stream's devices must be @m's, in the same order, else
 * "migration stream has device 'X', this VM has 'Y'" (or a count
 * mismatch); a device refuses a state it does not understand (version,
 * size, a value it cannot hold).  The whole group is read before the
 * first device is loaded, so a bad or truncated group changes nothing;
 * a device refusing its state leaves the devices before it loaded.
 */
bool mig_devices_save(MigStream *s, Machine *m, GError **errp);
bool mig_devices_load(MigStream *s, Machine *m, GError **errp);

/*
 * Ages: for each migrating bank of @ram whose backend has ages
 * (be->ages), aging_export()'s per-unit milliseconds, run-length
 * encoded.  Save: any thread (aging_export() takes the aging lock).
 *
 * Load: aging_import() into the receiver's ages of the same bank.  Call
 * it at switch-over, with the receiver's aging feed running and before
 * the guest runs (include/aging/aging.h: only then is an imported age a
 * proof).  A bank the receiver does not age: its ages are read and
 * dropped.  A bank the receiver ages but the stream has no ages for:
 * its ages start fresh.  A bank index outside @ram, or a bank whose
 * address, unit size or unit count differs: an error naming it; nothing
 * of that bank is imported (earlier banks are).
 */
bool mig_ages_save(MigStream *s, RamList *ram, GError **errp);
bool mig_ages_load(MigStream *s, RamList *ram, GError **errp);

/*
 * Precopy passes of dirty pages.
 *
 * The engine adds its consumer @c (dirty_log_client_add(), every slot)
 * and calls mig_ram_dirty_begin(c) just before the full RAM section
 * (mig_ram_save()): a new consumer's bits start all set, and the full
 * section sends those pages anyway; it also takes the harvest of slots
 * whose logging @c turned on (all set in KVM), so that the first pass
 * sends only what was written meanwhile.  Then each mig_ram_dirty_save() is
 * one pass: it syncs @c, fetches every slot's bits and sends one
 * ram-dirty section with the dirty pages of the migrating banks, read
 * through kvmage's view (the alias).  @st is overwritten: dirty_pages is
 * the number of dirty pages found and sent (also data_pages), bytes the
 * section's size; the engine stops iterating when dirty_pages is small
 * enough, pauses the vCPUs and runs one last pass.  Main thread (the
 * sync is); the vCPUs may run, except for the last pass.
 *
 * Load: writes the pages through the receiver's view; every record must
 * lie inside a migrating bank; @st->dirty_pages and data_pages count them.
 * The receiver's vCPUs must not run.
 */
bool mig_ram_dirty_begin(DirtyLogClient *c, GError **errp);
bool mig_ram_dirty_save(MigStream *s, RamList *ram, DirtyLogClient *c,
			MigRamStats *st, GError **errp);
bool mig_ram_dirty_load(MigStream *s, RamList *ram, MigRamStats *st,
			GError **errp);

/*
 * Read the next section header and check it is of @type (id returned);
 * for the loads above and the engine.
 */
bool mig_section_expect(MigStream *s, MigSectionType type, uint32_t *id,
			GError **errp);

#endif
