/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM's run state, as QMP sees it: prelaunch (-S), running, paused,
 * shutdown.  Transitions act on the VM through system/vm.c (vm_pause(),
 * vm_resume(), vm_reset(), vm_quit(): pause and resume the vCPUs, reset
 * the machine, ask the main loop to end it) and send the QMP events STOP,
 * RESUME, RESET and SHUTDOWN.  This file also holds the QMP commands
 * query-status, stop, cont, system_reset and quit.
 *
 * Locking: main thread only.  Other threads (vCPUs) must not call these;
 * they request a shutdown through the machine, and main then calls
 * runstate_shutdown() from the main loop.
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include <stdbool.h>
#include <glib.h>

#include "qapi-types.h"

/* Initial state: prelaunch if @start_paused (-S), else running. */
void runstate_init(bool start_paused);

/* The state query-status reports. */
RunState runstate_current(void);
bool runstate_is_running(void);
bool runstate_shutdown_requested(void);

/* running -> paused (vm_pause()), sends STOP; a no-op in other states. */
bool runstate_stop(GError **errp);
/* prelaunch/paused -> running, sends RESUME; a no-op when running. */
bool runstate_cont(GError **errp);
/* Reset (vm_reset()) and send RESET. */
bool runstate_reset(bool guest, ShutdownCause cause, GError **errp);
/* Send SHUTDOWN, enter the shutdown state, call vm_quit() (once). */
void runstate_shutdown(bool guest, ShutdownCause cause);

/*
 * Migration (system/runstate-migration.c fills migration's ops with
 * these).  Destination: inmigrate until the stream is loaded, then
 * running (RESUME) if @autostart (no -S, or cont came meanwhile), else
 * paused.  Source: finish-migrate for the last pass (STOP if it ran),
 * then postmigrate if it completed, else back to the state before
 * (RESUME if it ran).
 */
void runstate_set_inmigrate(bool autostart);
void runstate_incoming_end(void);
bool runstate_migrate_stop(bool *was_running, GError **errp);
void runstate_migrate_end(bool completed, bool was_running);
/* Install migration's MigrationVmOps (runstate-migration.c). */
void runstate_migration_setup(GMainContext *main_ctx);

#endif
