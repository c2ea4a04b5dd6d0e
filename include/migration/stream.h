/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration stream: a buffered, bounds-checked reader and writer of
 * the format described in docs/interop/migration-stream.rst.
 *
 * A stream is a header (magic, version, the source's memory layout),
 * then sections, each opened by its type and instance id, then the end
 * marker.  Integers are little-endian.  The reader checks the header
 * against the receiver's RAM list before anything is written to it, so
 * a refused stream leaves the receiver untouched.  Every read that runs
 * out of data fails with "truncated stream" and names what it was
 * reading and at which offset.
 *
 * The stream does not own its fd.  A writer to a pipe or socket whose
 * reader went away gets EPIPE only if SIGPIPE is ignored (the monitor
 * does; tests must).
 *
 * Locking: a MigStream belongs to one thread at a time.
 */
#ifndef MIGRATION_STREAM_H
#define MIGRATION_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "memory/ram.h"

#define MIG_STREAM_MAGIC      "KVMAGEMS" /* 8 bytes, no NUL on the wire */
#define MIG_STREAM_MAGIC_LEN  8
#define MIG_STREAM_VERSION    1
#define MIG_STREAM_BUF_SIZE   (64 * 1024)
#define MIG_STREAM_MAX_BANKS  256 /* a bound for the reader */
#define MIG_STREAM_MAX_ID_LEN 255

typedef enum {
	MIG_SECTION_END = 0,	   /* end of stream: no body */
	MIG_SECTION_RAM = 1,	   /* migration/migration-ram.c */
	MIG_SECTION_VCPU = 2,	   /* migration/sections-vcpu.c */
	MIG_SECTION_DEVICE = 3,	   /* migration/sections-device.c */
	MIG_SECTION_AGES = 4,	   /* migration/sections-ages.c */
	MIG_SECTION_RAM_DIRTY = 5, /* migration/ram-dirty.c */
	MIG_SECTION__MAX,
} MigSectionType;

typedef struct MigStream MigStream;

/* A stream over @fd (not owned) for writing or for reading. */
MigStream *mig_stream_new(int fd, bool writing);
/* Frees the buffer; a writer's unflushed data is lost (flush first). */
void mig_stream_free(MigStream *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MigStream, mig_stream_free)

/* Bytes written or consumed so far. */
uint64_t mig_stream_offset(MigStream *s);

/* Writer: buffered; large payloads go straight to the fd. */
bool mig_put(MigStream *s, const void *buf, size_t len, GError **errp);
bool mig_put_u32(MigStream *s, uint32_t v, GError **errp);
bool mig_put_u64(MigStream *s, uint64_t v, GError **errp);
bool mig_stream_flush(MigStream *s, GError **errp);

/*
 * Reader: exactly @len bytes into @buf, or false with "truncated stream:
 * <what> at offset N: got G of L bytes" (or the read error).
 */
bool mig_get(MigStream *s, void *buf, size_t len, const char *what,
	     GError **errp);
bool mig_get_u32(MigStream *s, uint32_t *v, const char *what, GError **errp);
bool mig_get_u64(MigStream *s, uint64_t *v, const char *what, GError **errp);

/* The banks of @ram a stream carries: those with a backend. */
bool mig_bank_migrates(const RamBank *b);

/* The header: magic, version, the layout of @ram's migrating banks. */
bool mig_header_write(MigStream *s, RamList *ram, GError **errp);
/*
 * Read the header and check it against @ram: "not a kvmage migration
 * stream", "stream version V, this kvmage reads version 1", or the first
 * difference of layout (number of banks, memdev id, gpa, size, page
 * size, backend type).  Reads only; @ram is not touched.
 */
bool mig_header_read(MigStream *s, RamList *ram, GError **errp);

/* Open a section (its body follows), or write the end marker. */
bool mig_section_write(MigStream *s, MigSectionType type, uint32_t id,
		       GError **errp);
/* End marker and flush. */
bool mig_end_write(MigStream *s, GError **errp);
/*
 * The next section's type and id; fails on an unknown type ("unknown
 * section type T (id I) at offset N").  MIG_SECTION_END ends the stream.
 */
bool mig_section_read(MigStream *s, MigSectionType *type, uint32_t *id,
		      GError **errp);

/*
 * The next section's type and id, like mig_section_read(), without
 * consuming them: the next read starts at the same section header.  Lets
 * a reader dispatch on the type to a function that reads the section
 * header itself (include/migration/sections.h).
 */
bool mig_section_peek(MigStream *s, MigSectionType *type, uint32_t *id,
		      GError **errp);

/*
 * A string: u32 length (at most MIG_STREAM_MAX_ID_LEN, longer ones are
 * cut) and the bytes.  mig_get_str() fills @out of MIG_STREAM_MAX_ID_LEN
 * + 1 bytes, NUL-terminated; a longer length is an error naming @what.
 */
bool mig_put_str(MigStream *s, const char *str, GError **errp);
bool mig_get_str(MigStream *s, char *out, const char *what, GError **errp);

const char *mig_section_name(MigSectionType type);

#endif
