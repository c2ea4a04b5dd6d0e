/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Set-up of the userfaultfd tracking tests (see uffd-bank.h). */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

#include "uffd-bank.h"

uint64_t uffd_bank_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

bool uffd_bank_usable(void)
{
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0) {
		g_test_skip("userfaultfd unavailable (EPERM: needs root or "
			    "vm.unprivileged_userfaultfd=1)");
		return false;
	}
	close(fd);
	return true;
}

bool uffd_bank_map(Bank *b, const char *name, unsigned mfd_flags, uint64_t size)
{
	memset(b, 0, sizeof(*b));
	b->size = size;
	b->fd = memfd_create(name, MFD_CLOEXEC | mfd_flags);
	g_assert_cmpint(b->fd, >=, 0);
	g_assert_cmpint(ftruncate(b->fd, size), ==, 0);
	b->guest =
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (b->guest == MAP_FAILED) {
		close(b->fd);
		return false;
	}
	b->alias =
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	g_assert_true(b->alias != MAP_FAILED);
	return true;
}

void uffd_bank_unmap(Bank *b)
{
	if (b->t)
		uffd_track_free(b->t);
	g_assert_cmpint(munmap(b->guest, b->size), ==, 0);
	g_assert_cmpint(munmap(b->alias, b->size), ==, 0);
	g_assert_cmpint(close(b->fd), ==, 0);
}
