/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP commands of the run state: query-status, stop, cont,
 * system_reset and quit.  Locking: main thread only.
 */
#include "system/runstate.h"
#include "qapi-commands.h"

bool qmp_query_status(StatusInfo **ret, GError **errp)
{
	StatusInfo *info = g_new0(StatusInfo, 1);

	info->running = runstate_is_running();
	info->singlestep = false;
	info->status = runstate_current();
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
