/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host memory backends: one abstract backend, subclasses only allocate.
 * Properties are declared once (hostmem.c) with their descriptions; the
 * checks refuse conflicting combinations with a message naming both.
 *
 * Lifetime: hostmem_new() validates properties, hostmem_alloc() maps the
 * memory (and preallocates it when prealloc=on), hostmem_free() unmaps.
 * Every backend between hostmem_new() and hostmem_free() is on a list,
 * in creation order, which QMP reads (hostmem_find(), hostmem_foreach()),
 * as QEMU's commands find memory backends under /objects.
 * Locking: a backend is configured and allocated by the main thread before
 * vCPUs run; afterwards its fields are read-only.  The list is main
 * thread only.
 */
#ifndef BACKENDS_HOSTMEM_H
#define BACKENDS_HOSTMEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

typedef enum {
	HOSTMEM_RAM, /* memory-backend-ram: anonymous, private unless share=on */
	HOSTMEM_MEMFD, /* memory-backend-memfd: shared memfd, optional hugetlb */
	HOSTMEM_FILE,  /* memory-backend-file: mem-path on tmpfs/hugetlbfs */
} HostMemType;

typedef struct HostMemBackend {
	char *id;
	HostMemType type;
	/* properties */
	uint64_t size;
	bool share;
	bool prealloc;
	unsigned prealloc_threads; /* >= 1, default 1 */
	bool merge;		   /* MADV_MERGEABLE, default on */
	bool dump;		   /* MADV_DODUMP/DONTDUMP, default on */
	bool hugetlb;		   /* memfd only */
	uint64_t hugetlbsize;	   /* memfd only, 0 = default huge page size */
	char *mem_path;		   /* file only */
	bool seal;		   /* memfd only, default on */
	/* state after hostmem_alloc() */
	int fd;		    /* memfd/file descriptor, -1 for anonymous */
	void *host;	    /* mapping of size bytes */
	uint64_t page_size; /* page size backing the mapping */
	bool allocated;
	/*
	 * The per-page ages of this memdev while a memory-aging object
	 * watches it, else NULL.  Owned by aging/ (include/aging/aging.h),
	 * which sets it when the object is built and clears it before
	 * freeing them; set up and torn down in the main thread, read by
	 * reclaim and QMP.  backends/ never looks inside.
	 */
	struct Aging *ages;
} HostMemBackend;

const char *hostmem_type_name(HostMemType type); /* "memory-backend-ram", ... */
bool hostmem_type_parse(const char *qom_type, HostMemType *type);

/* List the properties of @type with their descriptions (-object T,help). */
void hostmem_print_help(HostMemType type, FILE *out);

/*
 * Create a backend from "key=value" properties as given to -object
 * (without qom-type and id).  Unknown keys, malformed values and
 * conflicting properties fail with a message naming the property.
 */
HostMemBackend *hostmem_new(HostMemType type, const char *id, GHashTable *props,
			    GError **errp);
bool hostmem_alloc(HostMemBackend *be, GError **errp);
/* Unmap, take off the list, free.  NULL is a no-op. */
void hostmem_free(HostMemBackend *be);

/* The live backend with id @id, or NULL.  Main thread. */
HostMemBackend *hostmem_find(const char *id);

typedef bool (*HostMemForeachFn)(HostMemBackend *be, void *opaque,
				 GError **errp);
/*
 * Call @fn on every live backend in creation order; stop at and return
 * false on the first failure (@errp set by @fn).  Main thread; @fn must
 * not create or free backends.
 */
bool hostmem_foreach(HostMemForeachFn fn, void *opaque, GError **errp);

/*
 * Why the kernel's overcommit policy refuses a mapping of @size bytes, as
 * one phrase for an error message ("1 TiB is more than the host's RAM +
 * swap (...)"): @overcommit is vm.overcommit_memory, @meminfo the text
 * of /proc/meminfo.  NULL when the policy does not explain the refusal
 * (mode 1, or @size within the limit).  Caller frees.
 */
char *hostmem_commit_reason(uint64_t size, int overcommit, const char *meminfo);

/*
 * A second read/write MAP_SHARED mapping of [@offset, @offset + @len) of
 * the file behind an allocated shared backend (memfd, or file with
 * share=on), for kvmage's own accesses to guest RAM when the guest
 * mapping (be->host) is watched, e.g. registered with userfaultfd:
 * accesses through the alias never fault into the watcher.  @offset and
 * @len must be multiples of be->page_size (huge pages: whole ones).  It
 * costs address space, not memory (the page cache is shared; hugetlbfs
 * takes no second reservation).  Anonymous or private backends have no
 * such alias and fail with a message naming the backend.  Unmap with
 * hostmem_unmap_alias(@alias, @len) before hostmem_free().  Main thread.
 * memory/ram.c maps one per RAM bank of a shared backend.
 */
void *hostmem_map_alias(HostMemBackend *be, uint64_t offset, uint64_t len,
			GError **errp);
void hostmem_unmap_alias(void *alias, uint64_t len);

/*
 * Preallocate [host, host+len): MADV_POPULATE_WRITE split across @threads
 * threads, falling back to touching each page under a SIGBUS handler where
 * the kernel lacks it.  @fd is the file mapped shared at @host from offset
 * 0 (memfd, share=on file), fallocate()d first, or -1.  Out of memory or
 * of huge pages is an error, not a crash.
 */
bool prealloc_range(void *host, uint64_t len, uint64_t page_size,
		    unsigned threads, int fd, GError **errp);

#endif
