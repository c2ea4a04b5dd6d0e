/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private interface between the abstract backend (hostmem.c) and the
 * backend types, which only allocate.  Not for use outside backends/.
 */
#ifndef BACKENDS_HOSTMEM_INT_H
#define BACKENDS_HOSTMEM_INT_H

#include "backends/hostmem.h"

typedef struct HostMemClass {
	const char *name; /* QOM type name */
	bool share_default;
	/*
	 * Map be->size bytes: set be->fd (or leave -1), be->page_size and
	 * be->host, normally through hostmem_map().  On failure leave
	 * nothing behind that hostmem_release() cannot undo.
	 */
	bool (*alloc)(HostMemBackend *be, GError **errp);
} HostMemClass;

extern const HostMemClass hostmem_ram_class;
extern const HostMemClass hostmem_memfd_class;
extern const HostMemClass hostmem_file_class;

/*
 * Fail unless be->size is a multiple of @page_size (@huge: huge pages);
 * @type_name names the backend type in the message.
 */
bool hostmem_check_size(HostMemBackend *be, const char *type_name,
			uint64_t page_size, bool huge, GError **errp);

/*
 * mmap be->fd (anonymous memory when it is -1) read/write, shared or
 * private as be->share says, aligned to max(be->page_size, 2 MiB) so that
 * transparent huge pages can back it.  Sets be->host.
 */
bool hostmem_map(HostMemBackend *be, GError **errp);

/* hostmem_commit_reason() for this host's /proc; NULL if unexplained. */
char *hostmem_commit_reason_host(uint64_t size);

/* The host's base page size. */
uint64_t hostmem_host_page_size(void);

#endif
