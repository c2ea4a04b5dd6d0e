/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-backend-ram: anonymous memory, MAP_PRIVATE, or MAP_SHARED with
 * share=on.  hostmem.c asks for transparent huge pages on it.
 *
 * Locking: none, see backends/hostmem.h.
 */
#include "hostmem-int.h"

static bool hostmem_ram_alloc(HostMemBackend *be, GError **errp)
{
	be->fd = -1;
	be->page_size = hostmem_host_page_size();
	return hostmem_map(be, errp);
}

const HostMemClass hostmem_ram_class = {
	.name = "memory-backend-ram",
	.share_default = false,
	.alloc = hostmem_ram_alloc,
};
