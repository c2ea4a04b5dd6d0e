/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RAM section of the migration stream (docs/interop/migration-stream.rst).
 *
 * The sender classifies every 4 KiB page by residency (memory/residency.h)
 * before it reads it:
 *  - never populated: a HOLE record, not read, so nothing is allocated on
 *    either side;
 *  - resident: read through kvmage's view (the bank's alias when it has
 *    one) and sent as DATA, or as ZERO if it reads all zero;
 *  - swapped: the cold lane.  At most MIG_RAM_COLD_BATCH pages are read
 *    (swapped in), sent as one COLD record and advised out again with
 *    MADV_PAGEOUT before the next batch, so the sender's resident memory
 *    grows by at most one batch, plus the pages MADV_PAGEOUT left in
 *    twice (MigRamStats.cold_left_resident).
 * The receiver writes DATA and COLD through its own alias, pages each COLD
 * record out again once written, and leaves HOLE and ZERO pages alone: its
 * RAM must be freshly allocated (reading as zero), as a VM started to
 * receive a migration is.
 *
 * Locking: the caller makes sure nothing else writes the banks meanwhile
 * (vCPUs stopped on the sender, not started on the receiver); the
 * functions may run in any one thread.
 */
#ifndef MIGRATION_RAM_H
#define MIGRATION_RAM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "memory/ram.h"
#include "migration/stream.h"

/* Cold-lane batch: 64 pages, 256 KiB, the bound on the sender's growth. */
#define MIG_RAM_COLD_BATCH 64
/* Pages classified per residency scan, and the most a record carries. */
#define MIG_RAM_SCAN_PAGES 512

typedef enum {
	MIG_RAM_REC_END = 0,  /* end of the section: no pages */
	MIG_RAM_REC_DATA = 1, /* resident pages, contents follow */
	MIG_RAM_REC_ZERO = 2, /* resident pages that read all zero */
	MIG_RAM_REC_HOLE = 3, /* never-populated pages, nothing follows */
	MIG_RAM_REC_COLD = 4, /* swapped pages, contents follow */
	MIG_RAM_REC__MAX,
} MigRamRecKind;

typedef struct MigRamStats {
	uint64_t data_pages; /* sent/received with their contents */
	uint64_t zero_pages; /* resident, all zero */
	uint64_t hole_pages; /* never populated */
	uint64_t cold_pages; /* from swap, through the cold lane */
	uint64_t cold_batches;
	uint64_t cold_left_resident; /* cold pages MADV_PAGEOUT left in */
	/*
	 * Sender: the largest growth of the process's VmRSS over its value
	 * at the start, sampled after each cold batch is read and before
	 * it is paged out (process-wide: includes anything else the
	 * process does meanwhile), in bytes.
	 */
	uint64_t peak_extra_rss;
	uint64_t bytes; /* of the section, headers included */
	/* ram-dirty (migration/sections.h): dirty pages found and sent */
	uint64_t dirty_pages;
} MigRamStats;

/* Write the RAM section of @ram's migrating banks; @st is overwritten. */
bool mig_ram_save(MigStream *s, RamList *ram, MigRamStats *st, GError **errp);
/*
 * Read a RAM section (its section header already read) into @ram, whose
 * layout mig_header_read() checked; @st is overwritten.  Each record must
 * continue where the previous one ended; the section must cover every
 * migrating bank entirely.
 */
bool mig_ram_load(MigStream *s, RamList *ram, MigRamStats *st, GError **errp);

/*
 * Receiver: after writing [@p, @p + @len) of @b through kvmage's view,
 * drop the view's page-table entries where that view is an alias of a
 * shared bank of 4 KiB pages (the data stays in the shared memory), so
 * that a page the guest maps too is not counted twice in the process's
 * RSS.  Nothing for private banks (no alias) or huge pages.
 */
bool mig_ram_alias_drop(RamBank *b, void *p, uint64_t len, GError **errp);

/* A whole stream: header, the RAM section, end marker. */
bool mig_ram_stream_save(int fd, RamList *ram, MigRamStats *st, GError **errp);
/* Read a whole stream; requires exactly one RAM section. */
bool mig_ram_stream_load(int fd, RamList *ram, MigRamStats *st, GError **errp);

#endif
