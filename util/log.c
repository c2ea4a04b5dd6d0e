/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The -d log items (include/util/log.h).
 */
#include <string.h>
#include <glib.h>

#include "util/log.h"

static const struct {
	const char *name;
	const char *help;
} log_items[] = {
	{ "ucall", "ucalls made by the guest (print, assert, done...)" },
	{ "unimp", "guest accesses to unimplemented I/O ports and MMIO" },
	{ "kvm", "KVM ioctls, with their results (accel/kvm)" },
	{ "aging", "each aging scan: pages accessed, time, uffd faults" },
};

bool log_item_known(const char *item)
{
	unsigned i;

	for (i = 0; i < G_N_ELEMENTS(log_items); i++) {
		if (!strcmp(log_items[i].name, item))
			return true;
	}
	return false;
}

bool log_item_enabled(const char *items, const char *item)
{
	g_auto(GStrv) list = NULL;

	if (!items)
		return false;
	list = g_strsplit(items, ",", -1);
	return g_strv_contains((const char *const *)list, item);
}

void log_print_help(FILE *out)
{
	unsigned i;

	fprintf(out, "Log items for -d (comma separated):\n");
	for (i = 0; i < G_N_ELEMENTS(log_items); i++)
		fprintf(out, "%-8s%s\n", log_items[i].name, log_items[i].help);
}
