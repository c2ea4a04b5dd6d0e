/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Preallocation: MADV_POPULATE_WRITE across threads, fallocate of shared
 * files, the SIGBUS touch fallback, argument checks, running out of huge
 * pages, and prealloc larger than the host can give.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/memfd.h>

#include "backends/hostmem.h"
#include "hostmem-util.h"
#include "util/error.h"

/* Number of resident pages in [p, p+len). */
static uint64_t resident(void *p, uint64_t len)
{
	uint64_t n = len / 4096, i, r = 0;
	g_autofree unsigned char *vec = g_malloc(n);

	g_assert_cmpint(mincore(p, len, vec), ==, 0);
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

static void check_prealloc(HostMemType type, const char *props)
{
	HostMemBackend *be = alloc_ok(type, props);

	g_assert_true(be->prealloc);
	g_assert_cmpuint(resident(be->host, be->size), ==, be->size / 4096);
	check_usable(be);
	hostmem_free(be);
}

static void test_prealloc(void)
{
	HostMemBackend *be;

	/* without prealloc nothing is resident: the check can fail */
	be = alloc_ok(HOSTMEM_RAM, "size=8M");
	g_assert_cmpuint(resident(be->host, be->size), ==, 0);
	hostmem_free(be);
	be = alloc_ok(HOSTMEM_MEMFD, "size=8M");
	g_assert_cmpuint(resident(be->host, be->size), ==, 0);
	hostmem_free(be);

	check_prealloc(HOSTMEM_RAM, "size=8M,prealloc=on");
	check_prealloc(HOSTMEM_RAM, "size=8M,prealloc=on,prealloc-threads=2");
	check_prealloc(HOSTMEM_RAM, "size=12K,prealloc=on,prealloc-threads=8");
	check_prealloc(HOSTMEM_RAM, "size=6M,share=on,prealloc=on,"
				    "prealloc-threads=3");
	check_prealloc(HOSTMEM_MEMFD, "size=8M,prealloc=on");
	check_prealloc(HOSTMEM_MEMFD, "size=8M,prealloc=on,"
				      "prealloc-threads=2");
	check_prealloc(HOSTMEM_FILE, "size=8M,prealloc=on,prealloc-threads=2,"
				     "mem-path=/dev/shm");
}

static void test_prealloc_touch(void)
{
	g_setenv("KVMAGE_TEST_PREALLOC_TOUCH", "1", TRUE);
	test_prealloc();
	g_unsetenv("KVMAGE_TEST_PREALLOC_TOUCH");
}

static void test_prealloc_args(void)
{
	void *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	GError *err = NULL;

	g_assert_true(p != MAP_FAILED);
	g_assert_false(prealloc_range((char *)p + 1, 4096, 4096, 1, -1, &err));
	g_assert_true(g_str_has_prefix(err->message, "invalid preallocation "
						     "request"));
	g_clear_error(&err);
	g_assert_false(prealloc_range(p, 4095, 4096, 1, -1, &err));
	g_clear_error(&err);
	g_assert_false(prealloc_range(p, 4096, 3000, 1, -1, &err));
	g_clear_error(&err);
	g_assert_false(prealloc_range(p, 4096, 4096, 0, -1, &err));
	g_clear_error(&err);
	g_assert_true(prealloc_range(p, 0, 4096, 1, -1, &err));
	g_assert_true(prealloc_range(p, 8192, 4096, 5, -1, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(resident(p, 8192), ==, 2);
	munmap(p, 2 * 4096);
}

static void test_sigbus_handler(int sig)
{
}

/*
 * A shared mapping larger than its file: pages past the end raise SIGBUS
 * when touched and EFAULT under MADV_POPULATE_WRITE.  Both must be errors,
 * and the previous SIGBUS disposition must be back afterwards.
 */
static void check_sigbus(bool touch, unsigned threads)
{
	struct sigaction mine = { .sa_handler = test_sigbus_handler }, now;
	int fd = memfd_create("sigbus", MFD_CLOEXEC);
	uint64_t len = 64 * 4096;
	GError *err = NULL;
	void *p;

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, len / 2), ==, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	g_assert_true(p != MAP_FAILED);
	sigemptyset(&mine.sa_mask);
	g_assert_cmpint(sigaction(SIGBUS, &mine, NULL), ==, 0);

	if (touch)
		g_setenv("KVMAGE_TEST_PREALLOC_TOUCH", "1", TRUE);
	g_assert_false(prealloc_range(p, len, 4096, threads, -1, &err));
	g_unsetenv("KVMAGE_TEST_PREALLOC_TOUCH");
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==,
			touch ? "populating 256 KiB failed: out of memory or huge "
				"pages (SIGBUS)" :
				"populating 256 KiB failed: out of memory or huge "
				"pages (EFAULT)");
	g_error_free(err);
	/*
	 * The first half is in the file: one thread populates it before it
	 * reaches the hole.  With several threads the one that hits the hole
	 * may stop the others first, so nothing is promised about it then.
	 */
	if (threads == 1)
		g_assert_cmpuint(resident(p, len / 2), >=,
				 touch ? 1 : len / 2 / 4096);

	g_assert_cmpint(sigaction(SIGBUS, NULL, &now), ==, 0);
	g_assert_true(now.sa_handler == test_sigbus_handler);
	signal(SIGBUS, SIG_DFL);
	munmap(p, len);
	close(fd);
}

static void test_prealloc_sigbus(void)
{
	check_sigbus(false, 1);
	check_sigbus(false, 2);
	check_sigbus(true, 1);
	check_sigbus(true, 3);
}

static uint64_t meminfo(const char *key)
{
	g_autofree char *buf = NULL;
	char *p;

	g_assert_true(g_file_get_contents("/proc/meminfo", &buf, NULL, NULL));
	p = strstr(buf, key);
	g_assert_nonnull(p);
	return g_ascii_strtoull(p + strlen(key), NULL, 10);
}

static void test_hugetlb_none(void)
{
	HostMemBackend *be;
	GError *err = NULL;
	void *p;
	int fd;

	if (meminfo("HugePages_Free:")) {
		g_test_skip("this host has free huge pages");
		return;
	}
	/* default huge page size checked once it is known */
	be = new_ok(HOSTMEM_MEMFD, "size=1M,hugetlb=on");
	g_assert_false(hostmem_alloc(be, &err));
	g_assert_cmpstr(err->message, ==,
			"property 'size' of "
			"memory-backend-memfd: 1 MiB is not a multiple of the "
			"huge page size 2 MiB");
	g_clear_error(&err);
	hostmem_free(be);

	/* the reservation fails at mmap time: an error, no crash */
	be = new_ok(HOSTMEM_MEMFD, "size=4M,hugetlb=on,prealloc=on,"
				   "prealloc-threads=2");
	g_assert_false(hostmem_alloc(be, &err));
	g_assert_cmpstr(err->message, ==,
			"unable to map backing store for "
			"backend 'm': Cannot allocate memory (not enough free "
			"huge pages of 2 MiB)");
	g_clear_error(&err);
	g_assert_cmpint(be->fd, ==, -1);
	hostmem_free(be);

	/* without a reservation, prealloc itself must fail cleanly */
	fd = memfd_create("huge", MFD_CLOEXEC | MFD_HUGETLB);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, 4 * MiB), ==, 0);
	p = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE, fd, 0);
	g_assert_true(p != MAP_FAILED);
	g_assert_false(prealloc_range(p, 4 * MiB, 2 * MiB, 2, -1, &err));
	g_assert_cmpstr(err->message, ==,
			"populating 4 MiB failed: out of "
			"memory or huge pages (EFAULT)");
	g_clear_error(&err);
	g_setenv("KVMAGE_TEST_PREALLOC_TOUCH", "1", TRUE);
	g_assert_false(prealloc_range(p, 4 * MiB, 2 * MiB, 2, -1, &err));
	g_unsetenv("KVMAGE_TEST_PREALLOC_TOUCH");
	g_assert_cmpstr(err->message, ==,
			"populating 4 MiB failed: out of "
			"memory or huge pages (SIGBUS)");
	g_clear_error(&err);
	munmap(p, 4 * MiB);
	close(fd);
}

/* prealloc larger than host memory + swap: refused before any mmap. */
static void test_prealloc_too_big(void)
{
	HostMemBackend *be = new_ok(HOSTMEM_RAM, "size=1P,prealloc=on");
	GError *err = NULL;

	g_assert_false(hostmem_alloc(be, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, "size 1 PiB does not fit in the "
					      "host's available memory"));
	g_assert_null(be->host);
	g_error_free(err);
	hostmem_free(be);
}

/* A shared memfd is fallocate()d, then mapped: resident and allocated. */
static void test_prealloc_fd(void)
{
	const uint64_t len = 8 * MiB;
	unsigned char vec[8 * MiB / 4096];
	GError *err = NULL;
	struct stat st;
	void *p;
	int fd;

	fd = memfd_create("prealloc-fd", MFD_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, len), ==, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	g_assert_true(p != MAP_FAILED);
	g_assert_cmpint(fstat(fd, &st), ==, 0);
	g_assert_cmpint(st.st_blocks, ==, 0);
	g_assert_true(prealloc_range(p, len, 4096, 2, fd, &err));
	g_assert_no_error(err);
	g_assert_cmpint(fstat(fd, &st), ==, 0);
	g_assert_cmpuint((uint64_t)st.st_blocks * 512, ==, len);
	g_assert_cmpint(mincore(p, len, vec), ==, 0);
	for (size_t i = 0; i < sizeof(vec); i++)
		g_assert_cmpuint(vec[i] & 1, ==, 1);
	munmap(p, len);
	close(fd);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_unsetenv("KVMAGE_TEST_PREALLOC_TOUCH");
	g_test_add_func("/hostmem/prealloc-too-big", test_prealloc_too_big);
	g_test_add_func("/hostmem/prealloc-fd", test_prealloc_fd);
	g_test_add_func("/hostmem/prealloc/populate", test_prealloc);
	g_test_add_func("/hostmem/prealloc/touch", test_prealloc_touch);
	g_test_add_func("/hostmem/prealloc/args", test_prealloc_args);
	g_test_add_func("/hostmem/prealloc/sigbus", test_prealloc_sigbus);
	g_test_add_func("/hostmem/prealloc/hugetlb-none", test_hugetlb_none);
	return g_test_run();
}
