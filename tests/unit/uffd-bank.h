/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The set-up shared by the userfaultfd tracking tests (test-uffd-track,
 * test-uffd-huge): a memfd mapped twice, once for the "guest" (the range
 * a UffdTrack registers) and once as kvmage's unregistered alias.
 */
#ifndef TESTS_UNIT_UFFD_BANK_H
#define TESTS_UNIT_UFFD_BANK_H

#include <stdbool.h>
#include <stdint.h>

#include "memory/uffd-track.h"

typedef struct Bank {
	int fd;
	uint64_t size;
	uint8_t *guest; /* registered */
	uint8_t *alias; /* kvmage's view */
	UffdTrack *t;	/* set by the test */
} Bank;

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t uffd_bank_now_ns(void);

/*
 * For a g_test case: true if this process may create a userfaultfd, else
 * g_test_skip() with the reason and false.
 */
bool uffd_bank_usable(void);

/*
 * memfd_create(@name, MFD_CLOEXEC | @mfd_flags) of @size bytes, mapped
 * shared as @b->guest and @b->alias.  False, with nothing left open, if
 * the guest mapping fails (a hugetlb memfd whose huge pages are gone);
 * the other steps fail the test.
 */
bool uffd_bank_map(Bank *b, const char *name, unsigned mfd_flags,
		   uint64_t size);
/* Free @b->t (if any), unmap both views and close the memfd. */
void uffd_bank_unmap(Bank *b);

#endif
