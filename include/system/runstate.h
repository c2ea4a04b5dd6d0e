/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM's run state, as QMP sees it: prelaunch (-S), running, paused,
 * shutdown.  Transitions call hooks that main registers (pause/resume
 * the vCPUs, reset the machine, leave the main loop) and send the QMP
 * events STOP, RESUME, RESET and SHUTDOWN.
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

typedef struct RunstateOps {
	/* Stop every vCPU; on failure the state stays running. */
	bool (*pause)(void *opaque, GError **errp);
	/* Start or resume every vCPU. */
	bool (*resume)(void *opaque, GError **errp);
	/* Reset the machine; NULL if it cannot (system_reset then fails). */
	bool (*reset)(void *opaque, GError **errp);
	/* Make the main loop return; called once, after SHUTDOWN is sent. */
	void (*quit)(void *opaque);
} RunstateOps;

/* Initial state: prelaunch if @start_paused (-S), else running. */
void runstate_init(bool start_paused);
void runstate_set_ops(const RunstateOps *ops, void *opaque);

bool runstate_is_running(void);
bool runstate_shutdown_requested(void);

/* running -> paused, sends STOP; a no-op in other states. */
bool runstate_stop(GError **errp);
/* prelaunch/paused -> running, sends RESUME; a no-op when running. */
bool runstate_cont(GError **errp);
/* Reset through the hook and send RESET. */
bool runstate_reset(bool guest, ShutdownCause cause, GError **errp);
/* Send SHUTDOWN, enter the shutdown state, call the quit hook (once). */
void runstate_shutdown(bool guest, ShutdownCause cause);

#endif
