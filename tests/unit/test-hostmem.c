/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host memory backends: property parsing and its messages, allocation by
 * each type, sharing, sealing, madvise flags, the alias mapping.
 * Preallocation is tested in test-prealloc.c.
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
#include "hostmem-util.h"
#include "util/error.h"

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

	b = hostmem_map_alias(be, 0, be->size, &err);
	g_assert_no_error(err);
	g_assert_nonnull(b);
	g_assert_true(b != a);
	a[4096] = 0x1234;
	g_assert_cmphex(b[4096], ==, 0x1234);
	b[(1 << 20) - 1] = 0x5678; /* last word */
	g_assert_cmphex(a[(1 << 20) - 1], ==, 0x5678);
	hostmem_unmap_alias((void *)b, be->size);
	/* a range: its first byte is the backend's byte at @offset */
	a[MiB / 4] = 0xabcd;
	b = hostmem_map_alias(be, 1 * MiB, 2 * MiB, &err);
	g_assert_no_error(err);
	g_assert_cmphex(b[0], ==, 0xabcd);
	hostmem_unmap_alias((void *)b, 2 * MiB);
	g_assert_null(hostmem_map_alias(be, 4096 + 1, 4096, &err));
	g_assert_nonnull(strstr(err->message, "not aligned"));
	g_clear_error(&err);
	g_assert_null(hostmem_map_alias(be, 2 * MiB, 4 * MiB, &err));
	g_assert_nonnull(strstr(err->message, "outside"));
	g_clear_error(&err);
	hostmem_free(be);

	be = alloc_ok(HOSTMEM_RAM, "size=4M,share=on");
	g_assert_null(hostmem_map_alias(be, 0, be->size, &err));
	g_assert_cmpstr(err->message, ==,
			"backend 'm' (memory-backend-ram) has no shared file "
			"to map twice: use memory-backend-memfd or "
			"memory-backend-file with share=on");
	g_clear_error(&err);
	hostmem_free(be);

	be = alloc_ok(HOSTMEM_MEMFD, "size=4M,share=off");
	g_assert_null(hostmem_map_alias(be, 0, be->size, &err));
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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_unsetenv("KVMAGE_TEST_PREALLOC_TOUCH");
	g_test_add_func("/hostmem/types", test_types);
	g_test_add_func("/hostmem/defaults", test_defaults);
	g_test_add_func("/hostmem/props", test_props);
	g_test_add_func("/hostmem/prop-errors", test_prop_errors);
	g_test_add_func("/hostmem/help", test_help);
	g_test_add_func("/hostmem/alloc/ram", test_alloc_ram);
	g_test_add_func("/hostmem/alloc/twice", test_alloc_twice);
	g_test_add_func("/hostmem/alloc/memfd", test_alloc_memfd);
	g_test_add_func("/hostmem/alloc/file", test_alloc_file);
	g_test_add_func("/hostmem/map-alias", test_map_alias);
	return g_test_run();
}
