/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration engine: QEMU's migrate / migrate-incoming state machine
 * (docs/system/migration.rst), its thread, and the URIs it opens.
 *
 * Source: qmp_migrate() (main thread) opens the URI, adds a dirty-log
 * consumer and starts the migration thread, which writes the header, a
 * full RAM pass, dirty passes until the rest fits downtime-limit, then
 * asks the main thread to stop the guest, writes the last dirty pass,
 * the vCPUs, the devices, the ages and the end marker.  The thread ends
 * by scheduling a cleanup on the main context, which joins it, removes
 * the consumer and settles the run state: paused after 'completed'
 * (postmigrate), running again after 'failed' or 'cancelled' if it ran.
 *
 * Destination: -incoming URI (or defer + migrate-incoming) listens or
 * opens the file, a thread reads and loads the stream into the VM built
 * with paused vCPUs, then the main thread starts the guest unless -S.
 *
 * The run state lives in system/, above this layer: it fills
 * MigrationVmOps, which the engine only calls on the main thread.
 *
 * Locking: the state, stats and parameters are under one mutex, taken by
 * the QMP bodies (main thread) and the migration thread; the thread owns
 * its stream.  Cancel sets a flag and shuts the socket down under that
 * mutex, so a thread blocked in write() returns at once.
 */
#ifndef MIGRATION_MIGRATION_H
#define MIGRATION_MIGRATION_H

#include <stdbool.h>
#include <glib.h>

#include "qapi-types.h"

/* What the run state does for migration; all on the main thread. */
typedef struct MigrationVmOps {
	/* Stop the guest for the last pass; sets *was_running. */
	bool (*stop)(bool *was_running, GError **errp);
	/* Failed or cancelled after stop: back to running if it ran. */
	void (*restore)(bool was_running);
	/* The source completed: stay paused (postmigrate). */
	void (*completed)(void);
	/* The destination loaded the stream (@ok) or could not (@err). */
	void (*incoming_done)(bool ok, const char *err);
} MigrationVmOps;

/* Install @ops and the main context cleanups run on.  Main thread. */
void migration_init(const MigrationVmOps *ops, GMainContext *main_ctx);
/* Cancel and join a running migration (teardown).  Main thread. */
void migration_shutdown(void);

/* -incoming: "defer" waits for migrate-incoming. Main thread. */
void migration_incoming_expect(void);
bool migration_incoming_start(const char *uri, GError **errp);
/* Has a migration (either side) not finished yet?  Any thread. */
bool migration_is_running(void);

#endif
