/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the backend types use to map their memory: the host page size, the
 * size check and the aligned mmap() with its error messages.  The types
 * and hostmem.c call it; it calls neither, so the abstract backend and
 * its types do not depend on each other in a cycle.
 *
 * Locking: none; called while a backend is created, from the main thread.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostmem-int.h"
#include "util/error.h"
#include "util/page.h"
#include "util/size.h"

/* Transparent huge pages need 2 MiB alignment. */
#define HOSTMEM_THP_ALIGN (2ULL << 20)

uint64_t hostmem_host_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : PAGE_SIZE;
}

bool hostmem_check_size(HostMemBackend *be, const char *type_name,
			uint64_t page_size, bool huge, GError **errp)
{
	g_autofree char *sz = NULL, *ps = NULL;

	if (page_size && be->size % page_size == 0)
		return true;
	sz = size_to_str(be->size);
	ps = size_to_str(page_size);
	error_setg(errp,
		   "property 'size' of %s: %s is not a multiple of the "
		   "%spage size %s",
		   type_name, sz, huge ? "huge " : "", ps);
	return false;
}

static void hostmem_map_error(HostMemBackend *be, int err, GError **errp)
{
	g_autofree char *ps = NULL, *why = NULL;

	/*
	 * Private writable and shared anonymous mappings are charged to the
	 * commit limit at mmap() time: name the limit that was hit.
	 */
	if (err == ENOMEM && be->page_size <= hostmem_host_page_size() &&
	    (!be->share || be->fd < 0))
		why = hostmem_commit_reason_host(be->size);
	if (why) {
		error_setg(errp,
			   "unable to map backing store for backend '%s': %s",
			   be->id, why);
		return;
	}
	if (err != ENOMEM || be->page_size <= hostmem_host_page_size()) {
		error_setg_errno(errp, err,
				 "unable to map backing store for "
				 "backend '%s'",
				 be->id);
		return;
	}
	/* hugetlbfs reserves the pages at mmap() time */
	ps = size_to_str(be->page_size);
	error_setg(errp,
		   "unable to map backing store for backend '%s': "
		   "%s (not enough free huge pages of %s)",
		   be->id, g_strerror(err), ps);
}

bool hostmem_map(HostMemBackend *be, GError **errp)
{
	uint64_t align = MAX(be->page_size, HOSTMEM_THP_ALIGN);
	int flags = be->share ? MAP_SHARED : MAP_PRIVATE;
	uint8_t *resv, *start;
	void *p;

	if (be->fd < 0)
		flags |= MAP_ANONYMOUS;
	if (be->size > SIZE_MAX - align) {
		error_setg_errno(errp, ENOMEM,
				 "unable to map backing store "
				 "for backend '%s'",
				 be->id);
		return false;
	}
	/* Reserve address space, then map at an aligned address inside. */
	resv = mmap(NULL, be->size + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED) {
		error_setg_errno(errp, errno,
				 "unable to reserve address "
				 "space for backend '%s'",
				 be->id);
		return false;
	}
	start = (uint8_t *)(((uintptr_t)resv + align - 1) & ~(align - 1));
	p = mmap(start, be->size, PROT_READ | PROT_WRITE, flags | MAP_FIXED,
		 be->fd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		munmap(resv, be->size + align);
		hostmem_map_error(be, err, errp);
		return false;
	}
	/* Trim the reservation around the mapping; these cannot fail. */
	if (start > resv)
		munmap(resv, start - resv);
	if (start + be->size < resv + be->size + align)
		munmap(start + be->size, resv + align - start);
	be->host = start;
	return true;
}
