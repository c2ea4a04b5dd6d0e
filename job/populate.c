/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-populate as a job (include/job/populate.h): the RAM banks of one
 * memory backend, walked with ram_for_each_bank(), populated chunk by
 * chunk with job_yield() in between.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "backends/hostmem.h"
#include "job/populate.h"
#include "util/error.h"
#include "util/test-switch.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

typedef struct Populate {
	RamList *ram;
	HostMemBackend *be;
	uint64_t start, end; /* backend offsets */
	int advice;
	const char *advice_name;
	uint64_t chunk;
	bool force_einval; /* test knob, read at the start */
} Populate;

/* Bytes of [start, end) of the backend that RAM banks map. */
static uint64_t populate_mapped_bytes(RamList *ram, HostMemBackend *be,
				      uint64_t start, uint64_t end)
{
	uint64_t total = 0;
	RamBank *b;

	ram_for_each_bank(ram, b) {
		uint64_t lo, hi;

		if (b->type != RAM_BANK_RAM || b->backend != be)
			continue;
		lo = MAX(start, b->backend_offset);
		hi = MIN(end, b->backend_offset + b->size);
		if (lo < hi)
			total += hi - lo;
	}
	return total;
}

/*
 * The host address through which kvmage populates @off bytes into bank
 * @b: kvmage's unregistered alias for shared backends, so that populating
 * never counts as a guest access for uffd aging (and never waits for its
 * handler); the guest mapping for private RAM, which has no alias.  For
 * shared memory this fills (or swaps in) the page cache; the guest's own
 * page tables then fill with cheap minor faults on first touch.
 */
static void *populate_host(const RamBank *b, uint64_t off)
{
	return (uint8_t *)(b->host_alias ? b->host_alias : b->host) + off;
}

/* KVMAGE_TEST_POPULATE_EINVAL set and not "0"?  Main thread. */
static bool populate_forced_einval(void)
{
	return test_switch_enabled(TEST_SWITCH_POPULATE_EINVAL);
}

/* madvise(), or EINVAL as on a kernel without MADV_POPULATE_* (tests). */
static int populate_madvise(Populate *p, void *host, uint64_t len)
{
	if (p->force_einval) {
		errno = EINVAL;
		return -1;
	}
	return madvise(host, len, p->advice);
}

/* Populate [off, off + len) of bank @b; false with errp set on error. */
static bool populate_chunk(Populate *p, const RamBank *b, uint64_t off,
			   uint64_t len, GError **errp)
{
	void *host = populate_host(b, off - b->backend_offset);

	while (populate_madvise(p, host, len)) {
		if (errno == EINTR)
			continue;
		if (errno == EINVAL) {
			error_setg(errp,
				   "memdev '%s': madvise(%s) is not supported "
				   "by this kernel (Linux 5.14 or later has it)",
				   p->be->id, p->advice_name);
		} else {
			error_setg_errno(errp, errno,
					 "memdev '%s': madvise(%s) at offset "
					 "0x%" PRIx64 " (%" PRIu64 " bytes)",
					 p->be->id, p->advice_name, off, len);
		}
		return false;
	}
	return true;
}

/* The job: every bank of the backend, chunk by chunk.  Job thread. */
static bool populate_run(Job *job, void *opaque, GError **errp)
{
	Populate *p = opaque;
	RamBank *b;

	job_progress_set_total(job, populate_mapped_bytes(p->ram, p->be,
							  p->start, p->end));
	ram_for_each_bank(p->ram, b) {
		uint64_t off, hi, len;

		if (b->type != RAM_BANK_RAM || b->backend != p->be)
			continue;
		off = MAX(p->start, b->backend_offset);
		hi = MIN(p->end, b->backend_offset + b->size);
		for (; off < hi; off += len) {
			if (!job_yield(job))
				return false;
			/* chunks end on multiples of the chunk size */
			len = MIN(hi, (off / p->chunk + 1) * p->chunk) - off;
			if (!populate_chunk(p, b, off, len, errp))
				return false;
			job_progress_add(job, len);
		}
	}
	return true;
}

static const JobDriver populate_driver = {
	.type = JOB_TYPE_MEMORY_POPULATE,
	.run = populate_run,
	.free = g_free,
};

/* Resolve the defaults and check the range.  Main thread. */
static bool populate_range(const PopulateParams *pp, uint64_t *start,
			   uint64_t *end, GError **errp)
{
	HostMemBackend *be = pp->backend;
	uint64_t off = pp->has_offset ? pp->offset : 0;
	uint64_t size;

	if (pp->has_offset && pp->offset < 0) {
		error_setg(errp, "offset %" PRId64 " is negative", pp->offset);
		return false;
	}
	if (pp->has_size && pp->size <= 0) {
		error_setg(errp, "size %" PRId64 " must be positive", pp->size);
		return false;
	}
	if (off >= be->size) {
		error_setg(errp,
			   "offset %" PRIu64 " is outside memdev '%s' "
			   "(%" PRIu64 " bytes)",
			   off, be->id, be->size);
		return false;
	}
	size = pp->has_size ? (uint64_t)pp->size : be->size - off;
	if (size > be->size - off) {
		error_setg(errp,
			   "range at offset %" PRIu64 " of %" PRIu64
			   " bytes ends outside memdev '%s' (%" PRIu64
			   " bytes)",
			   off, size, be->id, be->size);
		return false;
	}
	if (off % be->page_size || size % be->page_size) {
		error_setg(errp,
			   "offset %" PRIu64 " and size %" PRIu64
			   " must be multiples of the page size of memdev "
			   "'%s' (%" PRIu64 " bytes)",
			   off, size, be->id, be->page_size);
		return false;
	}
	*start = off;
	*end = off + size;
	return true;
}

Job *populate_start(const char *job_id, const PopulateParams *pp, GError **errp)
{
	bool read = pp->mode == MEMORY_POPULATE_MODE_READ;
	uint64_t start, end;
	Populate *p;
	Job *job;

	if (!populate_range(pp, &start, &end, errp))
		return NULL;
	if (!populate_mapped_bytes(pp->ram, pp->backend, 0,
				   pp->backend->size)) {
		error_setg(errp, "memdev '%s' is not mapped as guest RAM",
			   pp->backend->id);
		return NULL;
	}
	if (!populate_mapped_bytes(pp->ram, pp->backend, start, end)) {
		error_setg(errp,
			   "memdev '%s' is not mapped as guest RAM in that "
			   "range",
			   pp->backend->id);
		return NULL;
	}
	p = g_new0(Populate, 1);
	p->ram = pp->ram;
	p->be = pp->backend;
	p->start = start;
	p->end = end;
	p->advice = read ? MADV_POPULATE_READ : MADV_POPULATE_WRITE;
	p->advice_name = read ? "MADV_POPULATE_READ" : "MADV_POPULATE_WRITE";
	p->chunk = MAX(POPULATE_CHUNK, pp->backend->page_size);
	p->force_einval = populate_forced_einval();
	job = job_start(job_id, &populate_driver, p, pp->auto_finalize,
			pp->auto_dismiss, errp);
	if (!job)
		g_free(p);
	return job;
}
