/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM run state machine and the QMP commands that drive it; see
 * include/system/runstate.h.  Locking: main thread only.
 */
#include "system/runstate.h"
#include "system/vm.h"
#include "qapi-commands.h"
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

bool qmp_query_status(StatusInfo **ret, GError **errp)
{
	StatusInfo *info = g_new0(StatusInfo, 1);

	info->running = runstate_is_running();
	info->singlestep = false;
	info->status = rs.state;
	*ret = info;
	return true;
}

bool qmp_stop(GError **errp)
{
	return runstate_stop(errp);
}

bool qmp_cont(GError **errp)
{
	return runstate_cont(errp);
}

bool qmp_system_reset(GError **errp)
{
	return runstate_reset(false, SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
			      errp);
}

bool qmp_quit(GError **errp)
{
	runstate_shutdown(false, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
	return true;
}
