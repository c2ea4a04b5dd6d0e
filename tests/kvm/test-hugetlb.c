/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM on huge pages: memory-backend-memfd,hugetlb=on and
 * memory-backend-file on a hugetlbfs mount, with and without prealloc,
 * running the verified workload.  Cases that need free huge pages or a
 * hugetlbfs mount skip with the reason when the host has none
 * (make check-setup reserves some as root); running short of huge pages
 * is always tested, since it needs none.
 */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "harness.h"
#include "../hugepage-util.h"

#define GUEST_MIB 64
#define HUGE_MIB  2

static void run_workload(const char *object)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *corrupt = NULL;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "workload");
	r = harness_run_guest(prog, "-m",
			      G_STRINGIFY(GUEST_MIB) "M", "-object", object,
					  "-machine", "memory-backend=mem0",
					  "-serial", "none", "-append",
					  "size=32M passes=2 rw=mixed", NULL);
	harness_assert_exit(r, 0);
	corrupt = harness_report_get(r->out, "corrupt");
	g_assert_cmpstr(corrupt, ==, "0");
}

static void test_memfd(gconstpointer data)
{
	g_autofree char *object = NULL;

	if (!hugepages_or_skip(GUEST_MIB / HUGE_MIB))
		return;
	object = g_strdup_printf("memory-backend-memfd,id=mem0,size=%dM,"
				 "hugetlb=on,hugetlbsize=2M,prealloc=%s",
				 GUEST_MIB, data ? "on" : "off");
	run_workload(object);
}

static void test_file(gconstpointer data)
{
	g_autofree char *mnt = hugetlbfs_mount();
	g_autofree char *object = NULL;

	if (!mnt) {
		g_test_skip("no hugetlbfs mounted on this host");
		return;
	}
	if (!hugepages_or_skip(GUEST_MIB / HUGE_MIB))
		return;
	object = g_strdup_printf("memory-backend-file,id=mem0,size=%dM,"
				 "mem-path=%s,share=on,prealloc=%s",
				 GUEST_MIB, mnt, data ? "on" : "off");
	run_workload(object);
}

/* More huge pages than are free: a clear error and exit 1, no crash. */
static void test_too_few(void)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *object = NULL, *mem = NULL;
	unsigned long mib = (hugepages_free() + 4) * HUGE_MIB;
	const char *prog;

	HARNESS_GUEST_OR_SKIP(prog, "hello");
	mem = g_strdup_printf("%luM", mib);
	object = g_strdup_printf("memory-backend-memfd,id=mem0,size=%luM,"
				 "hugetlb=on,prealloc=on",
				 mib);
	r = harness_run_guest(prog, "-m", mem, "-object", object, "-machine",
			      "memory-backend=mem0", NULL);
	harness_assert_exit(r, 1);
	g_assert_nonnull(
		strstr(r->err, "-object memory-backend-memfd,id=mem0"));
	g_assert_nonnull(strstr(r->err, "huge pages"));
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_data_func("/kvm/hugetlb/memfd", NULL, test_memfd);
	g_test_add_data_func("/kvm/hugetlb/memfd-prealloc", "", test_memfd);
	g_test_add_data_func("/kvm/hugetlb/file", NULL, test_file);
	g_test_add_data_func("/kvm/hugetlb/file-prealloc", "", test_file);
	g_test_add_func("/kvm/hugetlb/too-few", test_too_few);
	return g_test_run();
}
