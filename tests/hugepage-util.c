/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Huge page availability checks for tests (see hugepage-util.h). */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "hugepage-util.h"

unsigned long hugepages_free(void)
{
	g_autofree char *info = NULL;
	const char *p;

	if (!g_file_get_contents("/proc/meminfo", &info, NULL, NULL))
		return 0;
	p = strstr(info, "HugePages_Free:");
	return p ? strtoul(p + strlen("HugePages_Free:"), NULL, 10) : 0;
}

bool hugepages_or_skip(unsigned long n)
{
	g_autofree char *why = NULL;

	if (hugepages_free() >= n)
		return true;
	why = g_strdup_printf("fewer than %lu free 2 MiB huge pages "
			      "(sudo make check-setup reserves some)",
			      n);
	g_test_skip(why);
	return false;
}

char *hugetlbfs_mount(void)
{
	g_autofree char *mounts = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents("/proc/mounts", &mounts, NULL, NULL))
		return NULL;
	lines = g_strsplit(mounts, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = g_strsplit(*l, " ", 4);

		if (g_strv_length(f) >= 3 && !strcmp(f[2], "hugetlbfs"))
			return g_strdup(f[1]);
	}
	return NULL;
}
