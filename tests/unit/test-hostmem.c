/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host memory backends: property parsing and its messages, allocation by
 * each type, sharing, sealing, madvise flags, and preallocation (threads,
 * the SIGBUS fallback, running out of huge pages).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/memfd.h>

#include "backends/hostmem.h"
#include "util/error.h"

#define MiB (1ULL << 20)

/* "k=v,k=v" -> table; no escaping needed in these tests. */
static GHashTable *props_new(const char *str)
{
	GHashTable *h =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_auto(GStrv) kv = g_strsplit(str, ",", -1);
	unsigned i;

	for (i = 0; kv[i]; i++) {
		char *eq = strchr(kv[i], '=');

		if (!*kv[i])
			continue;
		g_assert_nonnull(eq);
		g_hash_table_insert(h, g_strndup(kv[i], eq - kv[i]),
				    g_strdup(eq + 1));
	}
	return h;
}

static HostMemBackend *new_ok(HostMemType type, const char *props)
{
	g_autoptr(GHashTable) h = props_new(props);
	GError *err = NULL;
	HostMemBackend *be = hostmem_new(type, "m", h, &err);

	g_assert_no_error(err);
	g_assert_nonnull(be);
	return be;
}

static void new_err(HostMemType type, const char *props, const char *want)
{
	g_autoptr(GHashTable) h = props_new(props);
	GError *err = NULL;

	g_assert_null(hostmem_new(type, "m", h, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==, want);
	g_error_free(err);
}

static HostMemBackend *alloc_ok(HostMemType type, const char *props)
{
	HostMemBackend *be = new_ok(type, props);
	GError *err = NULL;

	g_assert_true(hostmem_alloc(be, &err));
	g_assert_no_error(err);
	g_assert_true(be->allocated);
	g_assert_nonnull(be->host);
	return be;
}

static void test_types(void)
{
	HostMemType t;

	g_assert_cmpstr(hostmem_type_name(HOSTMEM_RAM), ==,
			"memory-backend-ram");
	g_assert_cmpstr(hostmem_type_name(HOSTMEM_MEMFD), ==,
			"memory-backend-memfd");
	g_assert_cmpstr(hostmem_type_name(HOSTMEM_FILE), ==,
			"memory-backend-file");
	g_assert_true(hostmem_type_parse("memory-backend-file", &t));
	g_assert_cmpint(t, ==, HOSTMEM_FILE);
	g_assert_true(hostmem_type_parse("memory-backend-memfd", &t));
	g_assert_cmpint(t, ==, HOSTMEM_MEMFD);
	g_assert_false(hostmem_type_parse("memory-backend-epc", &t));
	g_assert_false(hostmem_type_parse(NULL, &t));
}

static void test_defaults(void)
{
	HostMemBackend *be = new_ok(HOSTMEM_RAM, "size=4M");

	g_assert_cmpstr(be->id, ==, "m");
	g_assert_cmpuint(be->size, ==, 4 * MiB);
	g_assert_false(be->share);
	g_assert_false(be->prealloc);
	g_assert_cmpuint(be->prealloc_threads, ==, 1);
	g_assert_true(be->merge);
	g_assert_true(be->dump);
	g_assert_false(be->hugetlb);
	g_assert_cmpint(be->fd, ==, -1);
	g_assert_false(be->allocated);
	hostmem_free(be);

	be = new_ok(HOSTMEM_MEMFD, "size=4M");
	g_assert_true(be->share);
	g_assert_true(be->seal);
	g_assert_false(be->hugetlb);
	g_assert_cmpuint(be->hugetlbsize, ==, 0);
	hostmem_free(be);

	be = new_ok(HOSTMEM_FILE, "size=4M,mem-path=/tmp");
	g_assert_false(be->share);
	g_assert_cmpstr(be->mem_path, ==, "/tmp");
	hostmem_free(be);
}

static void test_props(void)
{
	HostMemBackend *be;

	be = new_ok(HOSTMEM_RAM, "size=1G,share=on,prealloc=yes,"
				 "prealloc-threads=4,merge=off,dump=false");
	g_assert_cmpuint(be->size, ==, 1ULL << 30);
	g_assert_true(be->share);
	g_assert_true(be->prealloc);
	g_assert_cmpuint(be->prealloc_threads, ==, 4);
	g_assert_false(be->merge);
	g_assert_false(be->dump);
	hostmem_free(be);

	be = new_ok(HOSTMEM_RAM, "size=1048576,prealloc-threads=0x10");
	g_assert_cmpuint(be->size, ==, MiB);
	g_assert_cmpuint(be->prealloc_threads, ==, 16);
	hostmem_free(be);

	be = new_ok(HOSTMEM_MEMFD, "size=4M,share=off,hugetlb=on,"
				   "hugetlbsize=2M,seal=off");
	g_assert_false(be->share);
	g_assert_true(be->hugetlb);
	g_assert_cmpuint(be->hugetlbsize, ==, 2 * MiB);
	g_assert_false(be->seal);
	hostmem_free(be);

	be = new_ok(HOSTMEM_FILE, "size=1.5M,mem-path=/dev/shm/x,share=on");
	g_assert_cmpuint(be->size, ==, 3 * MiB / 2);
	g_assert_cmpstr(be->mem_path, ==, "/dev/shm/x");
	g_assert_true(be->share);
	hostmem_free(be);
}

static void test_prop_errors(void)
{
	/* unknown, and belonging to another type */
	new_err(HOSTMEM_RAM, "size=1M,foo=1", "Invalid parameter 'foo'");
	new_err(HOSTMEM_RAM, "size=1M,hugetlb=on",
		"Invalid parameter 'hugetlb'");
	new_err(HOSTMEM_RAM, "size=1M,seal=off", "Invalid parameter 'seal'");
	new_err(HOSTMEM_RAM, "size=1M,mem-path=/tmp",
		"Invalid parameter 'mem-path'");
	new_err(HOSTMEM_MEMFD, "size=1M,mem-path=/tmp",
		"Invalid parameter 'mem-path'");
	new_err(HOSTMEM_FILE, "size=1M,mem-path=/tmp,hugetlbsize=2M",
		"Invalid parameter 'hugetlbsize'");
	/* malformed values */
	new_err(HOSTMEM_RAM, "size=1x",
		"Parameter 'size' expects a size value");
	new_err(HOSTMEM_RAM, "size=-1",
		"Parameter 'size' expects a size value");
	new_err(HOSTMEM_RAM, "size=", "Parameter 'size' expects a size value");
	new_err(HOSTMEM_RAM, "size=16E",
		"Parameter 'size' expects a size value");
	new_err(HOSTMEM_RAM, "size=1M,share=maybe",
		"Parameter 'share' expects 'on' or 'off'");
	new_err(HOSTMEM_RAM, "size=1M,prealloc=",
		"Parameter 'prealloc' expects 'on' or 'off'");
	new_err(HOSTMEM_RAM, "size=1M,merge=ON",
		"Parameter 'merge' expects 'on' or 'off'");
	new_err(HOSTMEM_RAM, "size=1M,prealloc-threads=x",
		"Parameter 'prealloc-threads' expects a uint64 value");
	new_err(HOSTMEM_RAM, "size=1M,prealloc-threads=-1",
		"Parameter 'prealloc-threads' expects a uint64 value");
	new_err(HOSTMEM_RAM, "size=1M,prealloc-threads=2k",
		"Parameter 'prealloc-threads' expects a uint64 value");
	new_err(HOSTMEM_RAM, "size=1M,prealloc-threads=4294967296",
		"Parameter 'prealloc-threads' expects uint32_t");
	new_err(HOSTMEM_MEMFD, "size=1M,hugetlb=on,hugetlbsize=2Q",
		"Parameter 'hugetlbsize' expects a size value");
	/* missing and out of range */
	new_err(HOSTMEM_RAM, "", "Parameter 'size' is missing");
	new_err(HOSTMEM_FILE, "size=1M", "Parameter 'mem-path' is missing");
	new_err(HOSTMEM_FILE, "size=1M,mem-path=",
		"property 'mem-path' of memory-backend-file doesn't take "
		"value ''");
	new_err(HOSTMEM_RAM, "size=0",
		"property 'size' of memory-backend-ram doesn't take value '0'");
	new_err(HOSTMEM_MEMFD, "size=0K",
		"property 'size' of memory-backend-memfd doesn't take value "
		"'0'");
	new_err(HOSTMEM_RAM, "size=1M,prealloc-threads=0",
		"property 'prealloc-threads' of memory-backend-ram doesn't "
		"take value '0'");
	new_err(HOSTMEM_RAM, "size=4097K",
		"property 'size' of memory-backend-ram: 4097 KiB is not a "
		"multiple of the page size 4 KiB");
	new_err(HOSTMEM_FILE, "size=1000,mem-path=/tmp",
		"property 'size' of memory-backend-file: 1000 B is not a "
		"multiple of the page size 4 KiB");
	new_err(HOSTMEM_MEMFD, "size=4M,hugetlb=on,hugetlbsize=3M",
		"property 'hugetlbsize' of memory-backend-memfd must be a "
		"power of 2 of at least the page size");
	new_err(HOSTMEM_MEMFD, "size=4M,hugetlb=on,hugetlbsize=1K",
		"property 'hugetlbsize' of memory-backend-memfd must be a "
		"power of 2 of at least the page size");
	/* conflicts name both properties */
	new_err(HOSTMEM_MEMFD, "size=4M,hugetlbsize=2M",
		"property 'hugetlbsize' of memory-backend-memfd needs "
		"'hugetlb=on'");
	new_err(HOSTMEM_MEMFD, "size=4M,hugetlbsize=2M,hugetlb=off",
		"property 'hugetlbsize' of memory-backend-memfd needs "
		"'hugetlb=on'");
	new_err(HOSTMEM_MEMFD, "size=3M,hugetlb=on,hugetlbsize=2M",
		"property 'size' of memory-backend-memfd: 3 MiB is not a "
		"multiple of 'hugetlbsize' 2 MiB");
	/* the first bad key in key order is the one reported */
	new_err(HOSTMEM_RAM, "zzz=1,size=x,aaa=1", "Invalid parameter 'aaa'");
}

static void test_help(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	hostmem_print_help(HOSTMEM_MEMFD, f);
	fclose(f);
	g_assert_nonnull(strstr(buf, "memory-backend-memfd options:\n"));
	g_assert_nonnull(strstr(buf, "  hugetlb=<bool>"));
	g_assert_nonnull(strstr(buf, "  size=<size>"));
	g_assert_null(strstr(buf, "mem-path"));
	free(buf);

	f = open_memstream(&buf, &len);
	hostmem_print_help(HOSTMEM_FILE, f);
	fclose(f);
	g_assert_nonnull(strstr(buf, "  mem-path=<string>"));
	g_assert_null(strstr(buf, "hugetlb"));
	free(buf);
}

/* Write a pattern over the backend and read it back. */
static void check_usable(HostMemBackend *be)
{
	uint64_t *p = be->host, n = be->size / sizeof(*p), i;

	for (i = 0; i < n; i += 512)
		p[i] = i * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < n; i += 512)
		g_assert_cmphex(p[i], ==, i * 0x9e3779b97f4a7c15ULL);
}

/* VmFlags of the mapping at @addr in /proc/self/smaps, or NULL. */
static char *vm_flags(void *addr)
{
	g_autofree char *smaps = NULL;
	g_auto(GStrv) lines = NULL;
	bool in = false;
	unsigned i;

	g_assert_true(
		g_file_get_contents("/proc/self/smaps", &smaps, NULL, NULL));
	lines = g_strsplit(smaps, "\n", -1);
	for (i = 0; lines[i]; i++) {
		unsigned long lo, hi;

		if (sscanf(lines[i], "%lx-%lx ", &lo, &hi) == 2)
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && g_str_has_prefix(lines[i], "VmFlags:"))
			return g_strconcat(lines[i] + 8, " ", NULL);
	}
	return NULL;
}

static bool has_flag(const char *flags, const char *f)
{
	g_autofree char *pat = g_strdup_printf(" %s ", f);

	return strstr(flags, pat) != NULL;
}

static void test_alloc_ram(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_RAM, "size=4M");
	g_autofree char *flags = vm_flags(be->host);

	g_assert_cmpint(be->fd, ==, -1);
	g_assert_cmpuint(be->page_size, ==, 4096);
	g_assert_cmpuint((uintptr_t)be->host % (2 * MiB), ==, 0);
	g_assert_nonnull(flags);
	g_assert_false(has_flag(flags, "sh"));
	g_assert_true(has_flag(flags, "hg")); /* MADV_HUGEPAGE */
	g_assert_false(has_flag(flags, "dd"));
	check_usable(be);
	hostmem_free(be);

	be = alloc_ok(HOSTMEM_RAM, "size=4M,share=on,dump=off,merge=off");
	g_free(flags);
	flags = vm_flags(be->host);
	g_assert_true(has_flag(flags, "sh"));
	g_assert_true(has_flag(flags, "dd")); /* MADV_DONTDUMP */
	g_assert_false(has_flag(flags, "mg"));
	check_usable(be);
	hostmem_free(be);
}

static void test_alloc_twice(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_RAM, "size=64K");
	GError *err = NULL;

	g_assert_false(hostmem_alloc(be, &err));
	g_assert_cmpstr(err->message, ==, "backend 'm' is already allocated");
	g_error_free(err);
	g_assert_true(be->allocated);
	hostmem_free(be);
}

static void test_alloc_memfd(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_MEMFD, "size=4M");
	volatile uint32_t *a, *b;
	g_autofree char *flags = vm_flags(be->host);

	g_assert_cmpint(be->fd, >=, 0);
	g_assert_cmpuint(be->page_size, ==, 4096);
	g_assert_true(has_flag(flags, "sh"));
	g_assert_cmpint(fcntl(be->fd, F_GET_SEALS), ==,
			F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	g_assert_cmpint(ftruncate(be->fd, 8 * MiB), ==, -1);
	g_assert_cmpint(errno, ==, EPERM);
	check_usable(be);
	/* shared: a second mapping of the fd sees the same pages */
	b = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, be->fd, 0);
	g_assert_true(b != MAP_FAILED);
	a = be->host;
	a[1000] = 0xdeadbeef;
	g_assert_cmphex(b[1000], ==, 0xdeadbeef);
	b[2000] = 0xcafe;
	g_assert_cmphex(a[2000], ==, 0xcafe);
	munmap((void *)b, 4 * MiB);
	hostmem_free(be);

	/* unsealed, private: writes stay in this mapping */
	be = alloc_ok(HOSTMEM_MEMFD, "size=4M,seal=off,share=off");
	g_assert_cmpint(fcntl(be->fd, F_GET_SEALS), ==, F_SEAL_SEAL);
	b = mmap(NULL, 4 * MiB, PROT_READ, MAP_SHARED, be->fd, 0);
	g_assert_true(b != MAP_FAILED);
	a = be->host;
	a[10] = 7;
	g_assert_cmphex(b[10], ==, 0);
	munmap((void *)b, 4 * MiB);
	hostmem_free(be);
}

static void test_map_alias(void)
{
	HostMemBackend *be = alloc_ok(HOSTMEM_MEMFD, "size=4M");
	volatile uint32_t *a = be->host, *b;
	GError *err = NULL;

	b = hostmem_map_alias(be, &err);
	g_assert_no_error(err);
	g_assert_nonnull(b);
	g_assert_true(b != a);
	a[4096] = 0x1234;
	g_assert_cmphex(b[4096], ==, 0x1234);
	b[(1 << 20) - 1] = 0x5678; /* last word */
	g_assert_cmphex(a[(1 << 20) - 1], ==, 0x5678);
	hostmem_unmap_alias(be, (void *)b);
	hostmem_free(be);

	be = alloc_ok(HOSTMEM_RAM, "size=4M,share=on");
	g_assert_null(hostmem_map_alias(be, &err));
	g_assert_cmpstr(err->message, ==,
			"backend 'm' (memory-backend-ram) has no shared file "
			"to map twice: use memory-backend-memfd or "
			"memory-backend-file with share=on");
	g_clear_error(&err);
	hostmem_free(be);

	be = alloc_ok(HOSTMEM_MEMFD, "size=4M,share=off");
	g_assert_null(hostmem_map_alias(be, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	hostmem_free(be);
}

static void test_alloc_file(void)
{
	g_autofree char *dir = g_dir_make_tmp("kvmage-hostmem-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "ram", NULL);
	g_autofree char *props = NULL;
	HostMemBackend *be;
	GError *err = NULL;
	GDir *d;
	uint32_t v = 0;

	g_assert_nonnull(dir);
	/* a directory: an unlinked file inside it */
	props = g_strdup_printf("size=4M,mem-path=%s", dir);
	be = alloc_ok(HOSTMEM_FILE, props);
	d = g_dir_open(dir, 0, NULL);
	g_assert_null(g_dir_read_name(d));
	g_dir_close(d);
	g_assert_cmpuint(be->page_size, ==, 4096);
	check_usable(be);
	hostmem_free(be);

	/* a path: created, kept, shared writes reach the file */
	g_free(props);
	props = g_strdup_printf("size=4M,mem-path=%s,share=on", path);
	be = alloc_ok(HOSTMEM_FILE, props);
	((volatile uint32_t *)be->host)[256] = 0x12345678;
	g_assert_cmpint(pread(be->fd, &v, 4, 1024), ==, 4);
	g_assert_cmphex(v, ==, 0x12345678);
	hostmem_free(be);
	g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));

	/* the existing 4 MiB file is too small for 8 MiB */
	g_free(props);
	props = g_strdup_printf("size=8M,mem-path=%s", path);
	be = new_ok(HOSTMEM_FILE, props);
	g_assert_false(hostmem_alloc(be, &err));
	g_assert_nonnull(strstr(err->message, "size 0x400000 is smaller than "
					      "'size' option 0x800000"));
	g_clear_error(&err);
	g_assert_false(be->allocated);
	g_assert_null(be->host);
	g_assert_cmpint(be->fd, ==, -1);
	hostmem_free(be);
	g_assert_cmpint(unlink(path), ==, 0);

	/* a path that cannot be created */
	g_free(props);
	props = g_strdup_printf("size=4M,mem-path=%s/no/such", dir);
	be = new_ok(HOSTMEM_FILE, props);
	g_assert_false(hostmem_alloc(be, &err));
	g_assert_true(g_str_has_prefix(err->message, "can't open backing "
						     "store "));
	g_assert_true(g_str_has_suffix(err->message,
				       "/no/such for backend "
				       "'m': No such file or directory"));
	g_clear_error(&err);
	hostmem_free(be);
	g_assert_cmpint(rmdir(dir), ==, 0);
}

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
	g_setenv("KVMAGE_PREALLOC_TOUCH", "1", TRUE);
	test_prealloc();
	g_unsetenv("KVMAGE_PREALLOC_TOUCH");
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
		g_setenv("KVMAGE_PREALLOC_TOUCH", "1", TRUE);
	g_assert_false(prealloc_range(p, len, 4096, threads, -1, &err));
	g_unsetenv("KVMAGE_PREALLOC_TOUCH");
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==,
			touch ? "populating 256 KiB failed: out of memory or huge "
				"pages (SIGBUS)" :
				"populating 256 KiB failed: out of memory or huge "
				"pages (EFAULT)");
	g_error_free(err);
	/* the first half is in the file and was populated */
	g_assert_cmpuint(resident(p, len / 2), >=, touch ? 1 : len / 2 / 4096);

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
	g_setenv("KVMAGE_PREALLOC_TOUCH", "1", TRUE);
	g_assert_false(prealloc_range(p, 4 * MiB, 2 * MiB, 2, -1, &err));
	g_unsetenv("KVMAGE_PREALLOC_TOUCH");
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
	g_unsetenv("KVMAGE_PREALLOC_TOUCH");
	g_test_add_func("/hostmem/types", test_types);
	g_test_add_func("/hostmem/prealloc-too-big", test_prealloc_too_big);
	g_test_add_func("/hostmem/prealloc-fd", test_prealloc_fd);
	g_test_add_func("/hostmem/defaults", test_defaults);
	g_test_add_func("/hostmem/props", test_props);
	g_test_add_func("/hostmem/prop-errors", test_prop_errors);
	g_test_add_func("/hostmem/help", test_help);
	g_test_add_func("/hostmem/alloc/ram", test_alloc_ram);
	g_test_add_func("/hostmem/alloc/twice", test_alloc_twice);
	g_test_add_func("/hostmem/alloc/memfd", test_alloc_memfd);
	g_test_add_func("/hostmem/alloc/file", test_alloc_file);
	g_test_add_func("/hostmem/map-alias", test_map_alias);
	g_test_add_func("/hostmem/prealloc/populate", test_prealloc);
	g_test_add_func("/hostmem/prealloc/touch", test_prealloc_touch);
	g_test_add_func("/hostmem/prealloc/args", test_prealloc_args);
	g_test_add_func("/hostmem/prealloc/sigbus", test_prealloc_sigbus);
	g_test_add_func("/hostmem/prealloc/hugetlb-none", test_hugetlb_none);
	return g_test_run();
}
