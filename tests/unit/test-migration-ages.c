/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ages sections (migration/sections-ages.c) over a pipe: proven ages
 * arrive rebased as a direct aging_import() gives them, never longer
 * than exported; banks aged on one side only; layout and stream errors.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "aging/aging.h"
#include "migration-util.h"
#include "migration/sections.h"
#include "util/bitmap.h"

#define BANK   (1ULL << 20)
#define NUNITS (BANK / 4096)

static const AgingCoverage cov = { "test", true, true, 1.0, NULL };

static Aging *aged(MigVm *vm, uint64_t ival)
{
	g_autoptr(GError) err = NULL;
	Aging *a = aging_new("m", &vm->ram, vm->be, ival, &cov, &err);

	g_assert_no_error(err);
	vm->be->ages = a;
	return a;
}

/* One scan that saw unit @unit of the bank at @gpa accessed (-1: none). */
static void scan(Aging *a, uint64_t gpa, int unit)
{
	unsigned long bm[BITS_TO_LONGS(NUNITS)] = { 0 };
	AgingCost cost = { .pages = 2 * NUNITS };

	g_assert_true(aging_scan_begin(a, 1));
	if (unit >= 0) {
		bitmap_set_bit(bm, unit);
		aging_update(a, gpa, bm, NUNITS);
	}
	aging_scan_end(a, &cost);
}

/* 30 scans at 100 ms; bank 0 unit 3 seen in scan 20, bank 1 unit 7 in 30. */
static Aging *sender_ages(MigVm *vm)
{
	Aging *a = aged(vm, 100);

	for (int i = 1; i <= 30; i++) {
		scan(a, 0, i == 20 ? 3 : -1);
		scan(a, MIG_HI_GPA, i == 30 ? 7 : -1);
	}
	return a;
}

static bool save_ages(MigStream *s, void *opaque, GError **errp)
{
	return mig_ages_save(s, &((MigVm *)opaque)->ram, errp);
}

/* Send @src's ages into @dst; the load's result, and the end marker. */
static bool xfer(MigVm *src, MigVm *dst, GError **errp)
{
	g_autoptr(MigStream) s = NULL;
	MigSectionType type;
	MigPipe p;
	uint32_t id;
	bool ok;

	mig_pipe_start(&p, save_ages, src);
	s = mig_stream_new(p.rfd, false);
	ok = mig_ages_load(s, &dst->ram, errp);
	if (ok) {
		g_assert_true(mig_section_read(s, &type, &id, NULL));
		g_assert_cmpint(type, ==, MIG_SECTION_END);
	}
	g_assert_true(mig_pipe_join(&p) || !ok);
	g_clear_error(&p.err);
	return ok;
}

static void assert_ages_eq(Aging *a, Aging *b, uint64_t gpa)
{
	AgingAges *x = aging_export(a, gpa, NULL),
		  *y = aging_export(b, gpa, NULL);

	g_assert_cmpmem(x->age_ms, x->nr_units * 8, y->age_ms, y->nr_units * 8);
	aging_ages_free(x);
	aging_ages_free(y);
}

static void test_round_trip(void)
{
	MigVm src, dst, ref;
	Aging *tx, *rx, *direct;
	uint64_t gpas[2] = { 0, MIG_HI_GPA };
	g_autoptr(GError) err = NULL;

	migvm_init(&src, BANK);
	migvm_init(&dst, BANK);
	migvm_init(&ref, BANK);
	tx = sender_ages(&src);
	rx = aged(&dst, 70);
	direct = aged(&ref, 70);
	for (int i = 0; i < 3; i++) { /* the receiver's feed has started */
		scan(rx, 0, i == 1 ? 5 : -1);
		scan(direct, 0, i == 1 ? 5 : -1);
	}
	g_assert_true(xfer(&src, &dst, &err));
	g_assert_no_error(err);
	for (int k = 0; k < 2; k++) {
		AgingAges *ex = aging_export(tx, gpas[k], &err);
		AgingAges *back = aging_export(rx, gpas[k], &err);

		/* what a direct import computes, independently of the wire */
		g_assert_true(aging_import(direct, ex, &err));
		assert_ages_eq(rx, direct, gpas[k]);
		for (uint64_t u = 0; u < NUNITS; u++)
			g_assert_cmpuint(back->age_ms[u], <=, ex->age_ms[u]);
		/* something was imported: more than the receiver's 3 scans */
		g_assert_cmpuint(back->age_ms[0], >, 3 * 70);
		aging_ages_free(back);
		aging_ages_free(ex);
	}
	aging_free(direct);
	ref.be->ages = NULL;
	aging_free(rx);
	dst.be->ages = NULL;
	aging_free(tx);
	src.be->ages = NULL;
	migvm_destroy(&ref);
	migvm_destroy(&dst);
	migvm_destroy(&src);
}

/* Aged on one side only: dropped, or fresh; never an error. */
static void test_one_sided(void)
{
	g_autoptr(GError) err = NULL;
	MigVm src, dst;
	Aging *a, *before;

	migvm_init(&src, BANK);
	migvm_init(&dst, BANK);
	a = sender_ages(&src);
	g_assert_true(xfer(&src, &dst, &err)); /* receiver does not age */
	g_assert_no_error(err);

	src.be->ages = NULL;
	dst.be->ages = a; /* the receiver ages, the sender does not */
	before = aged(&src, 100);
	src.be->ages = NULL;
	for (int i = 1; i <= 30; i++) { /* the same history as @a */
		scan(before, 0, i == 20 ? 3 : -1);
		scan(before, MIG_HI_GPA, i == 30 ? 7 : -1);
	}
	g_assert_true(xfer(&src, &dst, &err));
	g_assert_no_error(err);
	assert_ages_eq(a, before, 0);
	assert_ages_eq(a, before, MIG_HI_GPA);
	aging_free(before);
	dst.be->ages = NULL;
	aging_free(a);
	migvm_destroy(&dst);
	migvm_destroy(&src);
}

/* A receiver bank of another size: refused with the bank named. */
static void test_layout(void)
{
	GError *err = NULL;
	MigVm src, dst;
	Aging *tx, *rx;

	migvm_init(&src, BANK);
	migvm_init(&dst, BANK / 2);
	tx = sender_ages(&src);
	rx = aged(&dst, 100);
	g_assert_false(xfer(&src, &dst, &err));
	g_assert_nonnull(strstr(err->message, "do not fit it"));
	g_assert_nonnull(strstr(err->message, "memdev 'm'"));
	g_clear_error(&err);
	aging_free(rx);
	dst.be->ages = NULL;
	aging_free(tx);
	src.be->ages = NULL;
	migvm_destroy(&dst);
	migvm_destroy(&src);
}

/* The section @src's ages make, in a file: its fd, at offset 0. */
static int saved_file(MigVm *src, uint64_t *size)
{
	g_autoptr(MigStream) s = NULL;
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("kvmage-ages-XXXXXX", &path, NULL);

	g_assert_cmpint(fd, >=, 0);
	unlink(path);
	s = mig_stream_new(fd, true);
	g_assert_true(mig_ages_save(s, &src->ram, NULL));
	g_assert_true(mig_stream_flush(s, NULL));
	*size = mig_stream_offset(s);
	return fd;
}

static void load_cut(MigVm *dst, int fd, uint64_t len, const char *want)
{
	g_autoptr(MigStream) s = NULL;
	GError *err = NULL;

	g_assert_cmpint(ftruncate(fd, len), ==, 0);
	g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
	s = mig_stream_new(fd, false);
	g_assert_false(mig_ages_load(s, &dst->ram, &err));
	g_test_message("%s", err->message);
	g_assert_nonnull(strstr(err->message, want));
	g_clear_error(&err);
}

static void test_bad_stream(void)
{
	g_autoptr(MigStream) w = NULL;
	MigVm src, dst;
	Aging *tx, *rx;
	uint64_t size;
	int fd;

	migvm_init(&src, BANK);
	migvm_init(&dst, BANK);
	tx = sender_ages(&src);
	rx = aged(&dst, 100);
	fd = saved_file(&src, &size);
	load_cut(&dst, fd, size - 3, "truncated stream: ages");
	load_cut(&dst, fd, 20, "truncated stream: ages");
	/* another section where the ages should be */
	g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
	w = mig_stream_new(fd, true);
	g_assert_true(mig_section_write(w, MIG_SECTION_RAM, 0, NULL));
	g_assert_true(mig_stream_flush(w, NULL));
	load_cut(&dst, fd, 8, "expected a section of type 'ages', got 'ram'");
	close(fd);
	aging_free(rx);
	dst.be->ages = NULL;
	aging_free(tx);
	src.be->ages = NULL;
	migvm_destroy(&dst);
	migvm_destroy(&src);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	g_test_add_func("/migration/ages/round-trip", test_round_trip);
	g_test_add_func("/migration/ages/one-sided", test_one_sided);
	g_test_add_func("/migration/ages/layout", test_layout);
	g_test_add_func("/migration/ages/bad-stream", test_bad_stream);
	return g_test_run();
}
