/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shutdown request: how any thread ends the VM (a device on the
 * guest's exit, a vCPU on a fatal exit, QMP quit, a signal).  The first
 * request sets the exit status and reason; later ones are ignored.  It is
 * its own file because devices call it and machine.c creates the devices:
 * it calls nothing else of hw/.
 *
 * Locking: Machine.lock protects the request fields; any thread.
 */
#include <stdarg.h>

#include "hw/machine.h"

void machine_request_shutdown(Machine *m, int status, const char *fmt, ...)
{
	va_list ap;

	g_mutex_lock(&m->lock);
	if (!m->shutdown_requested) {
		m->shutdown_requested = true;
		m->exit_status = status;
		va_start(ap, fmt);
		m->shutdown_reason = g_strdup_vprintf(fmt, ap);
		va_end(ap);
	}
	g_mutex_unlock(&m->lock);
	g_main_context_wakeup(m->main_ctx);
}

const char *machine_shutdown_status(Machine *m, int *status)
{
	const char *reason;

	g_mutex_lock(&m->lock);
	*status = m->exit_status;
	reason = m->shutdown_reason;
	g_mutex_unlock(&m->lock);
	return reason;
}

bool machine_shutdown_requested(Machine *m)
{
	bool ret;

	g_mutex_lock(&m->lock);
	ret = m->shutdown_requested;
	g_mutex_unlock(&m->lock);
	return ret;
}
