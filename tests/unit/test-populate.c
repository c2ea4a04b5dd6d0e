/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * job/populate.c without a VM: a 16 MiB anonymous backend mapped by RAM
 * banks built by hand (two banks with a gap in guest-physical space, as
 * around the x86 PCI hole), populated through populate_start(); which
 * pages became resident is read back with mincore().  Also the range
 * checks, a backend no bank maps, and the kernel without MADV_POPULATE_*
 * (forced with the test-only KVMAGE_TEST_POPULATE_EINVAL).
 */
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hostmem-util.h"
#include "job/populate.h"
#include "util/error.h"
#include "../timescale.h"

#define SIZE (16 * MiB)

typedef struct Fixture {
	HostMemBackend *be;
	RamList ram;
} Fixture;

/* Banks: backend [0, 8M) at gpa 0, [8M, 16M) at gpa 4 GiB. */
static void fixture_init(Fixture *f, bool second_bank)
{
	GError *err = NULL;

	f->be = alloc_ok(HOSTMEM_RAM, "size=16M");
	ram_list_init(&f->ram);
	g_assert_nonnull(ram_bank_add(&f->ram, RAM_BANK_RAM, 0, 8 * MiB, f->be,
				      0, &err));
	if (second_bank)
		g_assert_nonnull(ram_bank_add(&f->ram, RAM_BANK_RAM, 4ULL << 30,
					      8 * MiB, f->be, 8 * MiB, &err));
	g_assert_no_error(err);
}

static void fixture_free(Fixture *f)
{
	ram_list_destroy(&f->ram);
	hostmem_free(f->be);
}

/* Resident pages of the backend in [off, off + len). */
static uint64_t resident(Fixture *f, uint64_t off, uint64_t len)
{
	long ps = sysconf(_SC_PAGESIZE);
	g_autofree unsigned char *vec = g_malloc(len / ps);
	uint64_t n = 0;

	g_assert_cmpint(mincore((char *)f->be->host + off, len, vec), ==, 0);
	for (uint64_t i = 0; i < len / ps; i++)
		n += vec[i] & 1;
	return n * ps;
}

static PopulateParams params(Fixture *f)
{
	return (PopulateParams){ .ram = &f->ram,
				 .backend = f->be,
				 .mode = MEMORY_POPULATE_MODE_WRITE,
				 .auto_finalize = true,
				 .auto_dismiss = false };
}

/* Is there a job named @id? */
static bool job_listed(const char *id)
{
	JobInfoList *all = job_query_all(), *l;
	bool found = false;

	for (l = all; l && !found; l = l->next)
		found = !strcmp(l->value->id, id);
	qapi_free_JobInfoList(all);
	return found;
}

/* Run the job @id to concluded; its JobInfo. */
static JobInfo *run_to_end(const char *id)
{
	gint64 end = timescale_deadline(10000);

	for (;;) {
		JobInfoList *all = job_query_all();
		JobInfo *info = NULL;

		g_assert_nonnull(all);
		if (all->value->status == JOB_STATUS_CONCLUDED) {
			info = all->value;
			all->value = NULL;
		}
		g_assert_cmpstr(all->value ? all->value->id : info->id, ==, id);
		qapi_free_JobInfoList(all);
		if (info) {
			GError *err = NULL;

			g_assert_true(job_dismiss(id, &err));
			return info;
		}
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(500);
	}
}

static void test_whole(void)
{
	PopulateParams p;
	GError *err = NULL;
	JobInfo *info;
	Fixture f;

	fixture_init(&f, true);
	p = params(&f);
	g_assert_cmpuint(resident(&f, 0, SIZE), ==, 0);
	g_assert_nonnull(populate_start("w", &p, &err));
	g_assert_no_error(err);
	info = run_to_end("w");
	g_assert_false(info->has_error);
	g_assert_cmpint(info->current_progress, ==, SIZE);
	g_assert_cmpint(info->total_progress, ==, SIZE);
	qapi_free_JobInfo(info);
	g_assert_cmpuint(resident(&f, 0, SIZE), ==, SIZE);
	fixture_free(&f);
}

/* [6M, 10M): the end of one bank and the start of the other, only. */
static void test_range_across_banks(void)
{
	PopulateParams p;
	GError *err = NULL;
	JobInfo *info;
	Fixture f;

	fixture_init(&f, true);
	p = params(&f);
	p.has_offset = true;
	p.offset = 6 * MiB;
	p.has_size = true;
	p.size = 4 * MiB;
	g_assert_nonnull(populate_start("r", &p, &err));
	info = run_to_end("r");
	g_assert_false(info->has_error);
	g_assert_cmpint(info->current_progress, ==, 4 * MiB);
	qapi_free_JobInfo(info);
	g_assert_cmpuint(resident(&f, 0, 6 * MiB), ==, 0);
	g_assert_cmpuint(resident(&f, 6 * MiB, 4 * MiB), ==, 4 * MiB);
	g_assert_cmpuint(resident(&f, 10 * MiB, 6 * MiB), ==, 0);
	fixture_free(&f);
}

/* Only [0, 8M) is guest RAM: the rest is skipped, or refused alone. */
static void test_unmapped(void)
{
	PopulateParams p;
	GError *err = NULL;
	JobInfo *info;
	Fixture f;

	fixture_init(&f, false);
	p = params(&f);
	p.has_offset = true;
	p.offset = 8 * MiB;
	g_assert_null(populate_start("u", &p, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==,
			"memdev 'm' is not mapped as guest RAM in that range");
	g_clear_error(&err);
	p.offset = 4 * MiB;
	p.has_size = true;
	p.size = 8 * MiB;
	g_assert_nonnull(populate_start("u", &p, &err));
	info = run_to_end("u");
	g_assert_cmpint(info->total_progress, ==, 4 * MiB);
	g_assert_cmpint(info->current_progress, ==, 4 * MiB);
	qapi_free_JobInfo(info);
	g_assert_cmpuint(resident(&f, 4 * MiB, 4 * MiB), ==, 4 * MiB);
	g_assert_cmpuint(resident(&f, 8 * MiB, 8 * MiB), ==, 0);
	fixture_free(&f);
}

/* A backend no bank maps at all (machine none) */
static void test_no_bank(void)
{
	GError *err = NULL;
	PopulateParams p;
	Fixture f;

	f.be = alloc_ok(HOSTMEM_RAM, "size=16M");
	ram_list_init(&f.ram);
	p = params(&f);
	g_assert_null(populate_start("n", &p, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==,
			"memdev 'm' is not mapped as guest RAM");
	g_clear_error(&err);
	g_assert_false(job_listed("n"));
	fixture_free(&f);
}

static void check_refused(Fixture *f, bool has_off, int64_t off, bool has_size,
			  int64_t size, const char *want)
{
	PopulateParams p = params(f);
	GError *err = NULL;

	p.has_offset = has_off;
	p.offset = off;
	p.has_size = has_size;
	p.size = size;
	g_assert_null(populate_start("x", &p, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);
	g_assert_false(job_listed("x"));
}

static void test_range_errors(void)
{
	Fixture f;

	fixture_init(&f, true);
	check_refused(&f, true, -1, false, 0, "offset -1 is negative");
	check_refused(&f, true, SIZE, false, 0,
		      "offset 16777216 is outside memdev 'm' (16777216 "
		      "bytes)");
	check_refused(&f, false, 0, true, 0, "size 0 must be positive");
	check_refused(&f, false, 0, true, -4096, "size -4096 must be positive");
	check_refused(&f, true, 4096, true, SIZE,
		      "range at offset 4096 of 16777216 bytes ends outside "
		      "memdev 'm' (16777216 bytes)");
	check_refused(&f, true, 0, true, 100,
		      "offset 0 and size 100 must be multiples of the page "
		      "size of memdev 'm' (4096 bytes)");
	/* offset + size overflowing 64 bits is out of bounds, not a wrap */
	check_refused(&f, true, 8 * MiB, true, INT64_MAX,
		      "range at offset 8388608 of 9223372036854775807 bytes "
		      "ends outside memdev 'm' (16777216 bytes)");
	fixture_free(&f);
}

static void test_no_kernel_support(void)
{
	PopulateParams p;
	GError *err = NULL;
	JobInfo *info;
	Fixture f;

	fixture_init(&f, true);
	p = params(&f);
	g_setenv("KVMAGE_TEST_POPULATE_EINVAL", "1", TRUE);
	g_assert_nonnull(populate_start("k", &p, &err));
	info = run_to_end("k");
	g_assert_true(info->has_error);
	g_assert_cmpstr(info->error, ==,
			"memdev 'm': madvise(MADV_POPULATE_WRITE) is not "
			"supported by this kernel (Linux 5.14 or later has "
			"it)");
	g_assert_cmpint(info->current_progress, ==, 0);
	qapi_free_JobInfo(info);
	p.mode = MEMORY_POPULATE_MODE_READ;
	g_assert_nonnull(populate_start("k", &p, &err));
	info = run_to_end("k");
	g_assert_nonnull(strstr(info->error, "madvise(MADV_POPULATE_READ)"));
	qapi_free_JobInfo(info);
	g_unsetenv("KVMAGE_TEST_POPULATE_EINVAL");
	g_assert_cmpuint(resident(&f, 0, SIZE), ==, 0);
	fixture_free(&f);
}

/* read on anonymous memory maps the zero page: nothing is allocated */
static void test_read_anon(void)
{
	PopulateParams p;
	GError *err = NULL;
	JobInfo *info;
	Fixture f;

	fixture_init(&f, true);
	p = params(&f);
	p.mode = MEMORY_POPULATE_MODE_READ;
	memset(f.be->host, 0x5a, MiB); /* 1 MiB written by the "guest" */
	g_assert_nonnull(populate_start("ra", &p, &err));
	info = run_to_end("ra");
	g_assert_false(info->has_error);
	g_assert_cmpint(info->current_progress, ==, SIZE);
	qapi_free_JobInfo(info);
	/* mapped (mincore counts the zero page), data unchanged */
	g_assert_cmpuint(resident(&f, 0, SIZE), ==, SIZE);
	for (uint64_t i = 0; i < MiB; i++)
		g_assert_cmpint(((unsigned char *)f.be->host)[i], ==, 0x5a);
	g_assert_cmpint(((unsigned char *)f.be->host)[SIZE - 1], ==, 0);
	fixture_free(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/populate/whole", test_whole);
	g_test_add_func("/populate/range-across-banks",
			test_range_across_banks);
	g_test_add_func("/populate/unmapped", test_unmapped);
	g_test_add_func("/populate/no-bank", test_no_bank);
	g_test_add_func("/populate/range-errors", test_range_errors);
	g_test_add_func("/populate/no-kernel-support", test_no_kernel_support);
	g_test_add_func("/populate/read-anon", test_read_anon);
	return g_test_run();
}
