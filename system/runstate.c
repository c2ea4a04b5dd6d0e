/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM run state machine; see include/system/runstate.h.  Its QMP
 * commands are in runstate-qmp.c.  Locking: main thread only.
 */
#include "system/runstate.h"
#include "system/vm.h"
#include "qapi-events.h"
#include "util/error.h"

static struct {
	RunState state;
	bool shutdown;
} rs = { .state = RUN_STATE_RUNNING };

void runstate_init(bool start_paused)
{
	rs.state = start_paused ? RUN_STATE_PRELAUNCH : RUN_STATE_RUNNING;
	rs.shutdown = false;
}

RunState runstate_current(void)
{
	return rs.state;
}

bool runstate_is_running(void)
{
	return rs.state == RUN_STATE_RUNNING;
}

bool runstate_shutdown_requested(void)
{
	return rs.shutdown;
}

bool runstate_stop(GError **errp)
{
	if (rs.state != RUN_STATE_RUNNING)
		return true;
	if (!vm_pause(errp))
		return false;
	rs.state = RUN_STATE_PAUSED;
	qapi_event_send_stop();
	return true;
}

bool runstate_cont(GError **errp)
{
	if (rs.state == RUN_STATE_SHUTDOWN) {
		error_setg(errp, "Resetting the Virtual Machine is required");
		return false;
	}
	if (rs.state == RUN_STATE_RUNNING)
		return true;
	if (!vm_resume(errp))
		return false;
	rs.state = RUN_STATE_RUNNING;
	qapi_event_send_resume();
	return true;
}

bool runstate_reset(bool guest, ShutdownCause cause, GError **errp)
{
	if (!vm_reset(errp))
		return false;
	qapi_event_send_reset(guest, cause);
	return true;
}

void runstate_shutdown(bool guest, ShutdownCause cause)
{
	if (rs.shutdown)
		return;
	rs.shutdown = true;
	qapi_event_send_shutdown(guest, cause);
	rs.state = RUN_STATE_SHUTDOWN;
	vm_quit();
}
