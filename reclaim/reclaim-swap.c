/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's swap and THP counters, for reclaim's up-front checks and its
 * result.  KVMAGE_TEST_MEMINFO names a file read instead of /proc/meminfo
 * (test only).  Locking: none (reads files).  Any thread.
 */
#include <string.h>

#include "reclaim/reclaim.h"
#include "util/error.h"
#include "util/test-switch.h"

/* Value in kB of "@key:" in @text, as bytes; false if missing. */
static bool reclaim_meminfo_kb(const char *text, const char *key, uint64_t *out)
{
	size_t n = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, key, n) && p[n] == ':') {
			*out = g_ascii_strtoull(p + n + 1, NULL, 10) * 1024;
			return true;
		}
	}
	return false;
}

bool reclaim_swap_read(ReclaimSwap *out, GError **errp)
{
	const char *path = test_switch_value(TEST_SWITCH_MEMINFO);
	g_autofree char *text = NULL;
	GError *err = NULL;

	if (!path)
		path = "/proc/meminfo";
	if (!g_file_get_contents(path, &text, NULL, &err)) {
		error_setg(errp, "cannot read swap state: %s", err->message);
		g_error_free(err);
		return false;
	}
	if (!reclaim_meminfo_kb(text, "SwapTotal", &out->total) ||
	    !reclaim_meminfo_kb(text, "SwapFree", &out->free)) {
		error_setg(errp, "%s has no SwapTotal/SwapFree", path);
		return false;
	}
	return true;
}

uint64_t reclaim_thp_splits(void)
{
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents("/proc/vmstat", &text, NULL, NULL))
		return 0; /* the figure is informative only */
	p = strstr(text, "\nthp_split_page ");
	return p ? g_ascii_strtoull(p + 16, NULL, 10) : 0;
}
