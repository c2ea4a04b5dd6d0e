/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM larger than the host's commit limit: the error names -m (or
 * the backend) and the limit hit, computed here from /proc/meminfo.  The
 * kernel refuses such a mapping at mmap() time, so nothing is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "backends/hostmem.h"
#include "hw/machine.h"
#include "system/options.h"
#include "util/size.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static void check_reason(uint64_t size, int mode, const char *meminfo,
			 const char *want)
{
	g_autofree char *got = hostmem_commit_reason(size, mode, meminfo);

	g_assert_cmpstr(got, ==, want);
}

/* The phrase for each overcommit mode, from a made-up /proc/meminfo. */
static void test_reason(void)
{
	const char *info = "MemTotal:        1048576 kB\n"
			   "MemFree:          524288 kB\n"
			   "SwapTotal:        524288 kB\n"
			   "CommitLimit:      786432 kB\n"
			   "Committed_AS:     262144 kB\n";

	check_reason(2 * GiB, 0, info,
		     "2 GiB is more than the host's RAM + swap (1 GiB + "
		     "512 MiB = 1536 MiB), the most one mapping may reserve "
		     "under the kernel's overcommit heuristic "
		     "(vm.overcommit_memory=0)");
	/* RAM + swap itself is allowed: the kernel refuses only more */
	check_reason(1536 * MiB, 0, info, NULL);
	check_reason(768 * MiB, 2, info,
		     "768 MiB is more than the kernel's commit limit leaves "
		     "(CommitLimit 768 MiB - Committed_AS 256 MiB = 512 MiB; "
		     "vm.overcommit_memory=2)");
	check_reason(512 * MiB, 2, info, NULL);
	/* mode 1 has no limit; unknown figures explain nothing */
	check_reason(64 * GiB, 1, info, NULL);
	check_reason(64 * GiB, 0, "MemTotal: 1 kB\n", NULL);
	check_reason(64 * GiB, 2, "", NULL);
	/* more committed than the limit (mode switched late): 0 left */
	check_reason(4096, 2, "CommitLimit: 4 kB\nCommitted_AS: 8 kB\n",
		     "4 KiB is more than the kernel's commit limit leaves "
		     "(CommitLimit 4 KiB - Committed_AS 8 KiB = 0 B; "
		     "vm.overcommit_memory=2)");
}

/* "Key: N kB" of /proc/meminfo in bytes, read here independently. */
static uint64_t meminfo(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	g_assert_nonnull(p);
	return strtoull(p + strlen(key) + 1, NULL, 10) * 1024;
}

/* -m beyond RAM + swap fails at once, naming -m and the limit. */
static void test_m_too_big(void)
{
	g_autofree char *mode = NULL, *text = NULL, *arg = NULL, *m = NULL;
	g_autofree char *ram = NULL, *swap = NULL, *sum = NULL, *want = NULL;
	GError *err = NULL;
	uint64_t mem, swp, size;
	VmConfig *cfg;

	g_assert_true(g_file_get_contents("/proc/sys/vm/overcommit_memory",
					  &mode, NULL, NULL));
	if (atoi(mode) != 0) {
		g_test_skip("vm.overcommit_memory is not 0 (heuristic)");
		return;
	}
	g_assert_true(g_file_get_contents("/proc/meminfo", &text, NULL, NULL));
	mem = meminfo(text, "MemTotal:");
	swp = meminfo(text, "SwapTotal:");
	size = ((mem + swp) / GiB + 2) * GiB;
	arg = g_strdup_printf("%" G_GUINT64_FORMAT "G", (uint64_t)(size / GiB));
	cfg = options_parse(3, (char *[]){ "kvmage", "-m", arg, NULL }, &err);
	g_assert_no_error(err);
	g_assert_null(machine_create(cfg, NULL, &err));
	g_assert_nonnull(err);
	m = size_to_str(size);
	ram = size_to_str(mem);
	swap = size_to_str(swp);
	sum = size_to_str(mem + swp);
	want = g_strdup_printf("-m %s: unable to map backing store for backend "
			       "'pc.ram': %s is more than the host's RAM + "
			       "swap (%s + %s = %s), the most one mapping may "
			       "reserve under the kernel's overcommit "
			       "heuristic (vm.overcommit_memory=0)",
			       m, m, ram, swap, sum);
	g_assert_cmpstr(err->message, ==, want);
	g_error_free(err);
	vm_config_free(cfg);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ram-limit/reason", test_reason);
	g_test_add_func("/ram-limit/m-too-big", test_m_too_big);
	return g_test_run();
}
