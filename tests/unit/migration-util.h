/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the migration unit tests. */
#ifndef TESTS_UNIT_MIGRATION_UTIL_H
#define TESTS_UNIT_MIGRATION_UTIL_H

#include "hostmem-util.h"
#include "memory/ram.h"
#include "migration/ram.h"

/* A memfd backend of 2 * @bank bytes laid out as two banks: 0 and 4 GiB. */
typedef struct MigVm {
	HostMemBackend *be;
	RamList ram;
	uint64_t bank;
} MigVm;

#define MIG_HI_GPA (4ULL << 30)

void migvm_init(MigVm *vm, uint64_t bank);
void migvm_destroy(MigVm *vm);
/* Present bytes of the whole backend (both banks). */
uint64_t migvm_present(MigVm *vm);
/* Every page of both banks: absent, by residency. */
void migvm_assert_untouched(MigVm *vm);

typedef struct MigXfer {
	MigVm *src;
	int fd;
	bool ok;
	GError *err;
	MigRamStats st;
} MigXfer;

/* Send @src over a pipe from a thread into @dst; both results returned. */
void mig_transfer(MigVm *src, MigVm *dst, MigXfer *tx, MigXfer *rx);

/*
 * A pipe whose writer is a thread running @fn on a stream over it, then
 * the end marker; mig_pipe_join() closes the read end (after @rx, the
 * reader, is done with it), joins and returns @fn's result.
 */
typedef bool (*MigSaveFn)(MigStream *s, void *opaque, GError **errp);
typedef struct MigPipe {
	MigSaveFn fn;
	void *opaque;
	int wfd, rfd;
	bool ok;
	GError *err;
	GThread *thread;
} MigPipe;

void mig_pipe_start(MigPipe *p, MigSaveFn fn, void *opaque);
bool mig_pipe_join(MigPipe *p);

#endif
