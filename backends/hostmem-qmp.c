/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-memdev: every live memory backend (hostmem_foreach()), as QEMU
 * reports them.  With no backend (-machine none without -object, or no
 * machine at all) the list is empty.  Locking: main thread only.
 */
#include "backends/hostmem.h"
#include "qapi-commands.h"

static bool hostmem_qmp_append(HostMemBackend *be, void *opaque, GError **errp)
{
	MemdevList ***tail = opaque;
	Memdev *m = g_new0(Memdev, 1);

	m->has_id = be->id != NULL;
	m->id = g_strdup(be->id);
	m->size = be->size;
	m->merge = be->merge;
	m->dump = be->dump;
	m->prealloc = be->prealloc;
	m->share = be->share;
	/* kvmage never maps guest memory with MAP_NORESERVE */
	m->has_reserve = true;
	m->reserve = true;
	m->host_nodes = NULL;
	m->policy = HOST_MEM_POLICY_DEFAULT;
	**tail = g_new0(MemdevList, 1);
	(**tail)->value = m;
	*tail = &(**tail)->next;
	return true;
}

bool qmp_query_memdev(MemdevList **ret, GError **errp)
{
	MemdevList **tail = ret;

	*ret = NULL;
	return hostmem_foreach(hostmem_qmp_append, &tail, errp);
}
