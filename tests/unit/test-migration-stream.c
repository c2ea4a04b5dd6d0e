/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration stream's header and framing: a stream refused at the
 * header (magic, version, layout) leaves the receiver untouched, and a
 * stream cut at a record boundary or inside a record fails with an error
 * naming what was being read and where.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "migration-util.h"

#define PAGE PAGE_SIZE
#define BANK (1 * MiB)

static GByteArray *stream;  /* the source's whole stream */
static uint64_t header_len; /* its header's length */

static GByteArray *fd_bytes(int fd)
{
	GByteArray *a = g_byte_array_new();
	uint8_t buf[4096];
	ssize_t n;

	g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_byte_array_append(a, buf, n);
	g_assert_cmpint(n, ==, 0);
	return a;
}

/* The source: 8 data pages at the start of bank 0, the rest holes. */
static void make_stream(void)
{
	g_autoptr(MigStream) s = NULL;
	MigVm src;
	MigRamStats st;
	GError *err = NULL;
	int fd = memfd_create("stream", 0);

	g_assert_cmpint(fd, >=, 0);
	migvm_init(&src, BANK);
	memset(src.be->host, 0x5a, 8 * PAGE);
	g_assert_true(mig_ram_stream_save(fd, &src.ram, &st, &err));
	g_assert_no_error(err);
	stream = fd_bytes(fd);
	close(fd);

	fd = memfd_create("header", 0);
	g_assert_cmpint(fd, >=, 0);
	s = mig_stream_new(fd, true);
	g_assert_true(mig_header_write(s, &src.ram, NULL));
	g_assert_true(mig_stream_flush(s, NULL));
	header_len = mig_stream_offset(s);
	close(fd);
	migvm_destroy(&src);
}

/* Load @len bytes of @data into a fresh receiver with @bank-byte banks. */
static void load_err(const uint8_t *data, uint64_t len, uint64_t bank,
		     const char *want, bool untouched)
{
	int fd = memfd_create("in", 0);
	MigRamStats st;
	GError *err = NULL;
	MigVm dst;

	g_assert_cmpint(write(fd, data, len), ==, (ssize_t)len);
	g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
	migvm_init(&dst, bank);
	g_assert_false(mig_ram_stream_load(fd, &dst.ram, &st, &err));
	g_assert_nonnull(err);
	g_assert_cmpstr(err->message, ==, want);
	g_error_free(err);
	if (untouched)
		migvm_assert_untouched(&dst);
	migvm_destroy(&dst);
	close(fd);
}

static void load_ok(void)
{
	int fd = memfd_create("in", 0);
	MigRamStats st;
	GError *err = NULL;
	MigVm dst;

	g_assert_cmpint(write(fd, stream->data, stream->len), ==,
			(ssize_t)stream->len);
	g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
	migvm_init(&dst, BANK);
	g_assert_true(mig_ram_stream_load(fd, &dst.ram, &st, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(st.data_pages, ==, 8);
	g_assert_cmpuint(st.hole_pages, ==, 2 * BANK / PAGE - 8);
	g_assert_cmpuint(((uint8_t *)dst.be->host)[8 * PAGE - 1], ==, 0x5a);
	migvm_destroy(&dst);
	close(fd);
}

static void test_whole(void)
{
	load_ok();
}

/* A copy of the stream with the u32 at @off replaced. */
static GByteArray *patched32(uint64_t off, uint32_t v)
{
	GByteArray *a = g_byte_array_sized_new(stream->len);

	g_byte_array_append(a, stream->data, stream->len);
	v = GUINT32_TO_LE(v);
	memcpy(a->data + off, &v, sizeof(v));
	return a;
}

static void test_refused(void)
{
	g_autoptr(GByteArray) bad = patched32(0, 0x4d56534b);
	g_autoptr(GByteArray) v2 = patched32(8, 2);
	g_autoptr(GByteArray) n1 = patched32(12, 1);
	/* bank 0's page size: after ids, bank type, gpa and size */
	uint64_t ps = 16 + 4 + strlen("m") + 4 +
		      strlen(hostmem_type_name(HOSTMEM_MEMFD)) + 4 + 8 + 8;
	g_autoptr(GByteArray) huge = patched32(ps, 2 * MiB);

	load_err(bad->data, bad->len, BANK,
		 "not a kvmage migration stream (bad magic)", true);
	load_err(v2->data, v2->len, BANK,
		 "migration stream version 2, this kvmage reads version 1",
		 true);
	load_err(n1->data, n1->len, BANK,
		 "memory layout differs: 1 memory banks in the stream, 2 here",
		 true);
	load_err(stream->data, stream->len, 2 * BANK,
		 "memory layout differs: bank 0 (memdev 'm' at gpa 0x0): "
		 "size is 1 MiB in the stream, 2 MiB here",
		 true);
	load_err(huge->data, huge->len, BANK,
		 "memory layout differs: bank 0 (memdev 'm' at gpa 0x0): "
		 "page size is 2 MiB in the stream, 4 KiB here",
		 true);
}

static void test_unknown(void)
{
	g_autoptr(GByteArray) sec = patched32(header_len, 7);
	g_autoptr(GByteArray) rec = patched32(header_len + 8, 9);
	g_autofree char *want_sec =
		g_strdup_printf("unknown section type 7 (id 0) at offset %" G_GUINT64_FORMAT,
				header_len);
	g_autofree char *want_rec =
		g_strdup_printf("unknown RAM record kind 9 at offset %" G_GUINT64_FORMAT,
				header_len + 8);

	load_err(sec->data, sec->len, BANK, want_sec, true);
	load_err(rec->data, rec->len, BANK, want_rec, true);
}

/* Cut the stream at @len: "truncated stream: WHAT at offset AT: ..." */
static void cut(uint64_t len, const char *what, uint64_t at, size_t got,
		size_t want)
{
	g_autofree char *msg =
		g_strdup_printf("truncated stream: %s at offset %" G_GUINT64_FORMAT
				": got %zu of %zu bytes",
				what, at, got, want);

	load_err(stream->data, len, BANK, msg, false);
}

static void test_truncated(void)
{
	uint64_t h = header_len, rec2 = h + 8 + 24 + 8 * PAGE;

	cut(0, "stream magic", 0, 0, 8);
	cut(5, "stream magic", 0, 5, 8);
	cut(14, "number of banks", 12, 2, 4);
	cut(h, "section type", h, 0, 4);
	cut(h + 8, "RAM record kind", h + 8, 0, 4);
	cut(h + 18, "RAM record offset", h + 16, 2, 8);
	cut(h + 32, "page data of bank 0 at offset 0x0", h + 32, 0, 8 * PAGE);
	cut(h + 32 + 5000, "page data of bank 0 at offset 0x0", h + 32, 5000,
	    8 * PAGE);
	cut(rec2, "RAM record kind", rec2, 0, 4);
	cut(stream->len - 8, "section type", stream->len - 8, 0, 4);
	cut(stream->len - 1, "section id", stream->len - 4, 3, 4);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	make_stream();
	g_test_add_func("/migration-stream/whole", test_whole);
	g_test_add_func("/migration-stream/refused", test_refused);
	g_test_add_func("/migration-stream/unknown", test_unknown);
	g_test_add_func("/migration-stream/truncated", test_truncated);
	return g_test_run();
}
