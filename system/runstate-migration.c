/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The run-state half of migration: the MigrationVmOps table that
 * migration/ (a lower layer) calls to stop and restart the guest.  Kept
 * out of vm.c, which runstate.c calls, so the objects form no cycle.
 * Locking: main thread only (migration calls its ops there).
 */
#include "hw/machine.h"
#include "migration/migration.h"
#include "system/runstate.h"

static bool rsm_stop(bool *was_running, GError **errp)
{
	return runstate_migrate_stop(was_running, errp);
}

static void rsm_restore(bool was_running)
{
	runstate_migrate_end(false, was_running);
}

static void rsm_completed(void)
{
	runstate_migrate_end(true, false);
}

static void rsm_incoming_done(bool ok, const char *err)
{
	Machine *m = machine_current();

	if (ok) {
		runstate_incoming_end();
		return;
	}
	/* as QEMU: a destination that cannot load the stream exits 1 */
	if (m)
		machine_request_shutdown(m, 1, "load of migration failed: %s",
					 err ? err : "unknown error");
}

static const MigrationVmOps rsm_ops = {
	.stop = rsm_stop,
	.restore = rsm_restore,
	.completed = rsm_completed,
	.incoming_done = rsm_incoming_done,
};

void runstate_migration_setup(GMainContext *main_ctx)
{
	migration_init(&rsm_ops, main_ctx);
}
