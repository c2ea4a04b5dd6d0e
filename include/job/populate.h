/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-populate: fault a memory backend's guest RAM in ahead of need
 * with MADV_POPULATE_WRITE or MADV_POPULATE_READ, as a job
 * (include/job/job.h) working in chunks of POPULATE_CHUNK bytes.
 *
 * Test knob: KVMAGE_TEST_POPULATE_EINVAL=1 in the environment when a job
 * starts makes its MADV_POPULATE_* calls fail with EINVAL, as on a kernel
 * before 5.14.  For tests only.
 *
 * Locking: populate_start() runs in the main thread; the job reads the
 * RAM list and the backend, which stay read-only and alive until
 * job_shutdown() (machine teardown).
 */
#ifndef JOB_POPULATE_H
#define JOB_POPULATE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "job/job.h"
#include "memory/ram.h"

#define POPULATE_CHUNK (4ULL << 20)

typedef struct PopulateParams {
	RamList *ram;		 /* the machine's RAM banks */
	HostMemBackend *backend; /* the memdev */
	bool has_offset;
	int64_t offset; /* bytes into the backend */
	bool has_size;
	int64_t size;
	MemoryPopulateMode mode;
	bool auto_finalize;
	bool auto_dismiss;
} PopulateParams;

/*
 * Check the range (aligned to the backend's page size, inside it, not
 * empty, mapped by at least one RAM bank) and start job @job_id.  Fails
 * with a GenericError naming what is wrong.  Main thread.
 */
Job *populate_start(const char *job_id, const PopulateParams *p, GError **errp);

#endif
