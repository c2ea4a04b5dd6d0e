/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ram-dirty sections (migration/ram-dirty.c) over a pipe, with the
 * dirty log offline: injected dirty bits are the pages a pass sends, and
 * only those change on the receiver; bad records and truncation fail.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "memory/dirty-log.h"
#include "migration-util.h"
#include "migration/sections.h"
#include "util/bitmap.h"

#define BANK   (4ULL << 20)
#define NPAGES (BANK / PAGE_SIZE) /* one slot per bank */

typedef struct Rig {
	MigVm src, dst;
	DirtyLog *dl;
	DirtyLogClient *c;
	MigRamStats st;
} Rig;

static uint8_t *page(MigVm *vm, uint64_t gpa)
{
	return ram_gpa_to_hva(&vm->ram, gpa, PAGE_SIZE);
}

/* Both sides equal (as after the full RAM section): page i holds i. */
static void rig_init(Rig *r)
{
	g_autoptr(GError) err = NULL;
	uint32_t slot = 0;
	RamBank *b;

	migvm_init(&r->src, BANK);
	migvm_init(&r->dst, BANK);
	r->dl = dirty_log_new();
	ram_for_each_bank(&r->src.ram, b) {
		DirtyLogSlotInfo si = { slot++, b->gpa, NPAGES, b, NULL };

		dirty_log_add_slot(r->dl, &si);
		for (uint64_t off = 0; off < b->size; off += PAGE_SIZE) {
			memset(page(&r->src, b->gpa + off), off / PAGE_SIZE,
			       PAGE_SIZE);
			memset(page(&r->dst, b->gpa + off), off / PAGE_SIZE,
			       PAGE_SIZE);
		}
	}
	r->c = dirty_log_client_add(r->dl, "migration", NULL, &err);
	g_assert_no_error(err);
	g_assert_true(mig_ram_dirty_begin(r->c, &err));
	g_assert_no_error(err);
}

static void rig_free(Rig *r)
{
	dirty_log_client_remove(r->c);
	dirty_log_free(r->dl);
	migvm_destroy(&r->dst);
	migvm_destroy(&r->src);
}

static bool save_dirty(MigStream *s, void *opaque, GError **errp)
{
	Rig *r = opaque;

	return mig_ram_dirty_save(s, &r->src.ram, r->c, &r->st, errp);
}

/* One pass; returns the receiver's stats. */
static MigRamStats pass(Rig *r)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(MigStream) s = NULL;
	MigRamStats rx;
	MigSectionType type;
	MigPipe p;
	uint32_t id;

	mig_pipe_start(&p, save_dirty, r);
	s = mig_stream_new(p.rfd, false);
	g_assert_true(mig_ram_dirty_load(s, &r->dst.ram, &rx, &err));
	g_assert_no_error(err);
	g_assert_true(mig_section_read(s, &type, &id, &err));
	g_assert_cmpint(type, ==, MIG_SECTION_END);
	g_assert_true(mig_pipe_join(&p));
	g_assert_no_error(p.err);
	return rx;
}

/* Dirty [first, first + n) of slot @slot on the source, written with 0xd1. */
static void dirty(Rig *r, unsigned slot, uint64_t first, uint64_t n,
		  unsigned long *bits)
{
	uint64_t gpa = dirty_log_slot_info(r->dl, slot)->gpa;

	for (uint64_t i = first; i < first + n; i++) {
		memset(page(&r->src, gpa + i * PAGE_SIZE), 0xd1, PAGE_SIZE);
		bitmap_set_bit(bits, i);
	}
}

static void test_pass(void)
{
	unsigned long bits[2][BITS_TO_LONGS(NPAGES)] = { { 0 } };
	uint64_t gpa1 = MIG_HI_GPA;
	MigRamStats rx;
	Rig r;

	rig_init(&r);
	dirty(&r, 0, 5, 1, bits[0]);
	dirty(&r, 0, 100, 600, bits[0]); /* longer than one record */
	dirty(&r, 1, NPAGES - 3, 3, bits[1]);
	/* written but not logged: must not travel */
	memset(page(&r.src, gpa1 + 7 * PAGE_SIZE), 0xee, PAGE_SIZE);
	dirty_log_inject(r.dl, 0, bits[0]);
	dirty_log_inject(r.dl, 1, bits[1]);
	rx = pass(&r);
	g_assert_cmpuint(r.st.dirty_pages, ==, 604);
	g_assert_cmpuint(rx.dirty_pages, ==, 604);
	g_assert_cmpuint(rx.bytes, ==, r.st.bytes);
	for (unsigned k = 0; k < 2; k++) {
		uint64_t gpa = k ? gpa1 : 0;

		for (uint64_t i = 0; i < NPAGES; i++) {
			uint8_t want = bitmap_test(bits[k], i) ? 0xd1 : i;
			const uint8_t *p = page(&r.dst, gpa + i * PAGE_SIZE);

			g_assert_cmpuint(p[0], ==, want);
			g_assert_cmpuint(p[PAGE_SIZE - 1], ==, want);
		}
	}
	/* the bits were consumed: the next pass sends nothing */
	rx = pass(&r);
	g_assert_cmpuint(r.st.dirty_pages, ==, 0);
	g_assert_cmpuint(rx.dirty_pages, ==, 0);
	rig_free(&r);
}

/* A hand-made section: one record and @data_pages pages after it. */
static void refuse(Rig *r, uint32_t kind, uint32_t bank, uint64_t off,
		   uint64_t n, uint64_t data_pages, const char *want)
{
	g_autofree char *path = NULL;
	g_autofree uint8_t *zero = g_malloc0(PAGE_SIZE);
	int fd = g_file_open_tmp("kvmage-dirty-XXXXXX", &path, NULL);
	MigStream *s;
	GError *err = NULL;
	MigRamStats st;

	g_assert_cmpint(fd, >=, 0);
	unlink(path);
	s = mig_stream_new(fd, true);
	g_assert_true(mig_section_write(s, MIG_SECTION_RAM_DIRTY, 0, NULL));
	g_assert_true(mig_put_u32(s, kind, NULL) && mig_put_u32(s, bank, NULL));
	g_assert_true(mig_put_u64(s, off, NULL) && mig_put_u64(s, n, NULL));
	for (uint64_t i = 0; i < data_pages; i++)
		g_assert_true(mig_put(s, zero, PAGE_SIZE, NULL));
	g_assert_true(mig_stream_flush(s, NULL));
	mig_stream_free(s);
	g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
	s = mig_stream_new(fd, false);
	g_assert_false(mig_ram_dirty_load(s, &r->dst.ram, &st, &err));
	g_test_message("%s", err->message);
	g_assert_nonnull(strstr(err->message, want));
	g_clear_error(&err);
	mig_stream_free(s);
	close(fd);
}

static void test_refused(void)
{
	Rig r;

	rig_init(&r);
	refuse(&r, MIG_RAM_REC_DATA, 2, 0, 1, 1, "bad ram-dirty record");
	refuse(&r, MIG_RAM_REC_DATA, 0, BANK - PAGE_SIZE, 2, 2,
	       "bad ram-dirty record at offset 8: bank 0 offset 0x3ff000");
	refuse(&r, MIG_RAM_REC_DATA, 0, 100, 1, 1, "bad ram-dirty record");
	refuse(&r, MIG_RAM_REC_DATA, 1, 0, 513, 513, "bad ram-dirty record");
	refuse(&r, MIG_RAM_REC_HOLE, 0, 0, 1, 0,
	       "unknown ram-dirty record kind 3 at offset 8");
	refuse(&r, MIG_RAM_REC_DATA, 1, PAGE_SIZE, 2, 1,
	       "truncated stream: dirty page data of bank 1 at offset 0x1000");
	refuse(&r, MIG_RAM_REC_DATA, 0, 0, 1, 1,
	       "truncated stream: ram-dirty record kind"); /* no END */
	rig_free(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	g_test_add_func("/migration/ram-dirty/pass", test_pass);
	g_test_add_func("/migration/ram-dirty/refused", test_refused);
	return g_test_run();
}
