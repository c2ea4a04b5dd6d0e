/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-memory-residency: the residency of the live memory backends
 * (hostmem_find(), hostmem_foreach(): all of them, in query-memdev
 * order), counted by memory/residency.c over each backend's own mapping
 * (the guest's).  With no backend the list is empty and naming a memdev
 * fails with DeviceNotFound.  Locking: main thread only.
 */

#include "backends/hostmem.h"
#include "memory/residency.h"
#include "qapi-commands.h"
#include "util/error.h"
#include "util/size.h"

static HostMemBackend *qmp_residency_find(const char *id, GError **errp)
{
	HostMemBackend *be = hostmem_find(id);

	if (!be)
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Memory backend '%s' not found", id);
	return be;
}

/* Check @offset/@size against @be; fill in the defaults. */
static bool qmp_residency_range(HostMemBackend *be, bool has_offset,
				int64_t offset, bool has_size, int64_t size,
				uint64_t *start, uint64_t *len, GError **errp)
{
	g_autofree char *ps = size_to_str(be->page_size);
	g_autofree char *ms = size_to_str(be->size);

	if (!has_offset)
		offset = 0;
	if (offset < 0 || (has_size && size <= 0)) {
		error_setg(errp, "Parameter '%s' must be %s",
			   offset < 0 ? "offset" : "size",
			   offset < 0 ? "a positive number or zero" :
					"a positive number");
		return false;
	}
	if (offset % be->page_size || (has_size && size % be->page_size)) {
		error_setg(errp,
			   "Parameter '%s' must be a multiple of the page "
			   "size %s of memdev '%s'",
			   offset % be->page_size ? "offset" : "size", ps,
			   be->id);
		return false;
	}
	if ((uint64_t)offset >= be->size ||
	    (has_size && (uint64_t)size > be->size - offset)) {
		error_setg(errp,
			   "Range at offset %" G_GINT64_FORMAT
			   " of %" G_GINT64_FORMAT " bytes is outside "
			   "memdev '%s' (size %s)",
			   offset, has_size ? size : (int64_t)0, be->id, ms);
		return false;
	}
	*start = offset;
	*len = has_size ? (uint64_t)size : be->size - offset;
	return true;
}

static MemoryResidencyInfo *qmp_residency_info(HostMemBackend *be,
					       uint64_t start, uint64_t len,
					       GError **errp)
{
	/* the whole backend as one bank: its mapping is the guest's */
	RamBank bank = {
		.type = RAM_BANK_RAM,
		.size = be->size,
		.host = be->host,
		.backend = be,
		.page_size = be->page_size,
	};
	MemoryResidencyInfo *info;
	ResidencyCounts c;

	if (!residency_count(&bank, start, len, &c, errp)) {
		g_prefix_error(errp, "memdev '%s': ", be->id);
		return NULL;
	}
	info = g_new0(MemoryResidencyInfo, 1);
	info->memdev = g_strdup(be->id);
	info->offset = start;
	info->size = len;
	info->page_size = be->page_size;
	info->present = c.present;
	info->swapped = c.swapped;
	info->absent = c.absent;
	info->best_effort = c.best_effort;
	info->method = residency_method() == RESIDENCY_METHOD_PAGEMAP_SCAN ?
			       MEMORY_RESIDENCY_METHOD_PAGEMAP_SCAN :
			       MEMORY_RESIDENCY_METHOD_PAGEMAP;
	return info;
}

static bool qmp_residency_append(MemoryResidencyInfoList ***tail,
				 HostMemBackend *be, uint64_t start,
				 uint64_t len, GError **errp)
{
	MemoryResidencyInfo *info = qmp_residency_info(be, start, len, errp);

	if (!info)
		return false;
	**tail = g_new0(MemoryResidencyInfoList, 1);
	(**tail)->value = info;
	*tail = &(**tail)->next;
	return true;
}

/* hostmem_foreach() callback: the whole of @be. */
static bool qmp_residency_append_all(HostMemBackend *be, void *opaque,
				     GError **errp)
{
	return qmp_residency_append(opaque, be, 0, be->size, errp);
}

bool qmp_query_memory_residency(q_obj_query_memory_residency_arg *arg,
				MemoryResidencyInfoList **ret, GError **errp)
{
	MemoryResidencyInfoList *head = NULL, **tail = &head;
	HostMemBackend *be;
	uint64_t start, len;

	*ret = NULL;
	if (!arg->has_memdev && (arg->has_offset || arg->has_size)) {
		error_setg(errp, "Parameter '%s' needs 'memdev'",
			   arg->has_offset ? "offset" : "size");
		return false;
	}
	if (arg->has_memdev) {
		be = qmp_residency_find(arg->memdev, errp);
		if (!be ||
		    !qmp_residency_range(be, arg->has_offset, arg->offset,
					 arg->has_size, arg->size, &start, &len,
					 errp) ||
		    !qmp_residency_append(&tail, be, start, len, errp))
			return false;
		*ret = head;
		return true;
	}
	if (!hostmem_foreach(qmp_residency_append_all, &tail, errp)) {
		qapi_free_MemoryResidencyInfoList(head);
		return false;
	}
	*ret = head;
	return true;
}
