/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Why mmap() of guest RAM failed with ENOMEM, in terms of the kernel's
 * overcommit policy (Documentation/mm/overcommit-accounting.rst): a
 * private writable or shared anonymous mapping is charged in full when
 * it is created, so a too large -m fails at once, before any page is
 * touched, and the limit it hit can be named.
 *
 * Locking: none (reads /proc).  Any thread.
 */
#include <stdlib.h>
#include <string.h>

#include "hostmem-int.h"
#include "util/size.h"

/* "Key:   N kB" of @meminfo in bytes; false if the key is missing. */
static bool meminfo_bytes(const char *meminfo, const char *key, uint64_t *out)
{
	size_t n = strlen(key);
	const char *p;

	for (p = meminfo; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, key, n) && p[n] == ':') {
			*out = g_ascii_strtoull(p + n + 1, NULL, 10) * 1024;
			return true;
		}
	}
	return false;
}

/* Heuristic overcommit: one mapping may not exceed RAM + swap. */
static char *commit_reason_guess(uint64_t size, const char *meminfo)
{
	g_autofree char *want = NULL, *ram = NULL, *swap = NULL, *sum = NULL;
	uint64_t mem, swp;

	if (!meminfo_bytes(meminfo, "MemTotal", &mem) ||
	    !meminfo_bytes(meminfo, "SwapTotal", &swp) || size <= mem + swp)
		return NULL;
	want = size_to_str(size);
	ram = size_to_str(mem);
	swap = size_to_str(swp);
	sum = size_to_str(mem + swp);
	return g_strdup_printf("%s is more than the host's RAM + swap "
			       "(%s + %s = %s), the most one mapping may "
			       "reserve under the kernel's overcommit "
			       "heuristic (vm.overcommit_memory=0)",
			       want, ram, swap, sum);
}

/* Strict accounting: what is committed already counts against the limit. */
static char *commit_reason_never(uint64_t size, const char *meminfo)
{
	g_autofree char *want = NULL, *limit = NULL, *used = NULL;
	g_autofree char *left = NULL;
	uint64_t lim, as, avail;

	if (!meminfo_bytes(meminfo, "CommitLimit", &lim) ||
	    !meminfo_bytes(meminfo, "Committed_AS", &as))
		return NULL;
	avail = lim > as ? lim - as : 0;
	if (size <= avail)
		return NULL;
	want = size_to_str(size);
	limit = size_to_str(lim);
	used = size_to_str(as);
	left = size_to_str(avail);
	return g_strdup_printf("%s is more than the kernel's commit limit "
			       "leaves (CommitLimit %s - Committed_AS %s = %s; "
			       "vm.overcommit_memory=2)",
			       want, limit, used, left);
}

char *hostmem_commit_reason(uint64_t size, int overcommit, const char *meminfo)
{
	switch (overcommit) {
	case 0:
		return commit_reason_guess(size, meminfo);
	case 2:
		return commit_reason_never(size, meminfo);
	default:
		/* 1 (always): no commit limit, the ENOMEM is something else */
		return NULL;
	}
}

char *hostmem_commit_reason_host(uint64_t size)
{
	g_autofree char *mode = NULL, *meminfo = NULL;

	if (!g_file_get_contents("/proc/sys/vm/overcommit_memory", &mode, NULL,
				 NULL) ||
	    !g_file_get_contents("/proc/meminfo", &meminfo, NULL, NULL))
		return NULL;
	return hostmem_commit_reason(size, atoi(mode), meminfo);
}
