/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Swap checks for tests (see swap-util.h).  Any thread. */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "swap-util.h"

#define SWAP_ADVICE "sudo make check-setup sets up zram swap"

bool swap_available(uint64_t min_free, char **reason)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	uint64_t total = 0, used = 0;
	unsigned devices = 0;

	if (!g_file_get_contents("/proc/swaps", &text, NULL, NULL)) {
		if (reason)
			*reason = g_strdup("no /proc/swaps: no swap support");
		return false;
	}
	lines = g_strsplit(text, "\n", -1);
	/* "Filename Type Size Used Priority", sizes in KiB */
	for (int i = 1; lines[i]; i++) {
		unsigned long long size, u;
		char name[256], type[32];

		if (sscanf(lines[i], "%255s %31s %llu %llu", name, type, &size,
			   &u) == 4) {
			devices++;
			total += size * 1024;
			used += u * 1024;
		}
	}
	if (!devices) {
		if (reason)
			*reason = g_strdup("no swap: " SWAP_ADVICE);
		return false;
	}
	if (total - used < min_free) {
		if (reason)
			*reason =
				g_strdup_printf("swap nearly full (%" G_GUINT64_FORMAT
						" KiB free, %" G_GUINT64_FORMAT
						" KiB needed)",
						(total - used) / 1024,
						min_free / 1024);
		return false;
	}
	return true;
}

bool swap_or_skip(uint64_t min_free)
{
	g_autofree char *reason = NULL;

	if (swap_available(min_free, &reason))
		return true;
	g_test_skip(reason);
	return false;
}

bool swap_or_skip_program(int argc, char **argv, uint64_t min_free, int *status)
{
	bool tap = argc > 1 && !strcmp(argv[1], "--tap");
	g_autofree char *reason = NULL;

	if (swap_available(min_free, &reason))
		return true;
	if (tap)
		printf("1..0 # SKIP %s\n", reason);
	else
		g_printerr("skip: %s\n", reason);
	*status = tap ? 0 : 77;
	return false;
}
