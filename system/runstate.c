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
	RunState before_migrate; /* restored if the migration fails */
	bool shutdown;
	bool autostart; /* inmigrate: start the guest once loaded */
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
	if (rs.state == RUN_STATE_INMIGRATE) {
		/* as QEMU: the guest starts once the stream is loaded */
		rs.autostart = true;
		return true;
	}
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

void runstate_set_inmigrate(bool autostart)
{
	rs.state = RUN_STATE_INMIGRATE;
	rs.autostart = autostart;
}

bool runstate_migrate_stop(bool *was_running, GError **errp)
{
	*was_running = rs.state == RUN_STATE_RUNNING;
	if (*was_running) {
		if (!vm_pause(errp))
			return false;
		qapi_event_send_stop();
	}
	rs.before_migrate = rs.state;
	rs.state = RUN_STATE_FINISH_MIGRATE;
	return true;
}

void runstate_migrate_end(bool completed, bool was_running)
{
	if (rs.state != RUN_STATE_FINISH_MIGRATE)
		return; /* a shutdown came meanwhile */
	if (completed) {
		rs.state = RUN_STATE_POSTMIGRATE;
		return;
	}
	rs.state = rs.before_migrate;
	if (was_running) {
		/* vCPUs were only paused: resuming them cannot fail */
		vm_resume(NULL);
		rs.state = RUN_STATE_RUNNING;
		qapi_event_send_resume();
	}
}

void runstate_incoming_end(void)
{
	if (rs.state != RUN_STATE_INMIGRATE)
		return;
	if (!rs.autostart) {
		rs.state = RUN_STATE_PAUSED;
		return;
	}
	vm_resume(NULL); /* paused vCPUs: cannot fail */
	rs.state = RUN_STATE_RUNNING;
	qapi_event_send_resume();
}
