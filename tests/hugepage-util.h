/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For tests that need 2 MiB huge pages or a hugetlbfs mount: are there
 * any?  scripts/setup-host.sh (make check-setup, as root) reserves some and mounts
 * hugetlbfs; tests only look and skip with that advice.
 */
#ifndef TESTS_HUGEPAGE_UTIL_H
#define TESTS_HUGEPAGE_UTIL_H

#include <stdbool.h>

/* HugePages_Free of /proc/meminfo (default size pages), 0 if unreadable. */
unsigned long hugepages_free(void);

/*
 * For a g_test case: true if at least @n huge pages are free, else
 * g_test_skip() with the count and the advice, and false.
 */
bool hugepages_or_skip(unsigned long n);

/* The first hugetlbfs mount point (g_free it), or NULL. */
char *hugetlbfs_mount(void);

#endif
