/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test doubles for symbols whose real implementation is not in this branch
 * yet: ram_gpa_to_hva() (system/ram.c) and machine_request_shutdown() /
 * machine_shutdown_requested() (hw/machine.c).  tests/unit/meson.build
 * links this file only while it exists: delete it once the real ones land.
 * They follow the documented contracts in system/ram.h and hw/machine.h.
 */
#include <stdarg.h>
#include <stdio.h> /* system/options.h needs FILE */

#include "hw/machine.h"
#include "system/ram.h"

/* Lock-free: the bank list is read-only while devices run. */
void *ram_gpa_to_hva(RamList *list, uint64_t gpa, uint64_t len)
{
	RamBank *b;

	ram_for_each_bank(list, b) {
		if (b->type != RAM_BANK_RAM || gpa < b->gpa)
			continue;
		if (gpa - b->gpa >= b->size || len > b->size - (gpa - b->gpa))
			continue;
		return (char *)b->host + (gpa - b->gpa);
	}
	return NULL;
}

/* Any thread; takes m->lock.  The first request wins. */
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
}

/* Any thread; takes m->lock. */
bool machine_shutdown_requested(Machine *m)
{
	bool ret;

	g_mutex_lock(&m->lock);
	ret = m->shutdown_requested;
	g_mutex_unlock(&m->lock);
	return ret;
}
