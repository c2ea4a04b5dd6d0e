/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-memory-aging and memory-aging-set, answered through the hooks
 * the machine registers (include/monitor/qmp-aging.h).
 * Locking: main thread only.
 */
#include "monitor/qmp-aging.h"
#include "qapi-commands.h"
#include "util/error.h"

static struct {
	const QmpAgingOps *ops;
	void *opaque;
} aging;

void qmp_aging_set_ops(const QmpAgingOps *ops, void *opaque)
{
	aging.ops = ops;
	aging.opaque = opaque;
}

bool qmp_query_memory_aging(q_obj_query_memory_aging_arg *arg,
			    MemoryAgingInfoList **ret, GError **errp)
{
	*ret = NULL;
	if (arg->has_cold_threshold_ms && arg->cold_threshold_ms < 0) {
		error_setg(errp, "Parameter 'cold-threshold-ms' must not be "
				 "negative");
		return false;
	}
	if (!aging.ops)
		return true;
	return aging.ops->query(aging.opaque, arg->has_cold_threshold_ms,
				arg->cold_threshold_ms, ret, errp);
}

bool qmp_memory_aging_set(q_obj_memory_aging_set_arg *arg, GError **errp)
{
	const QmpAgingSet req = {
		.id = arg->id,
		.has_enable = arg->has_enable,
		.enable = arg->enable,
		.has_interval = arg->has_interval,
		.interval = arg->interval,
		.has_backend = arg->has_backend,
		.backend = arg->backend,
		.has_mode = arg->has_mode,
		.mode = arg->mode,
		.has_sample = arg->has_sample,
		.sample = arg->sample,
	};

	if (!aging.ops) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Memory aging object '%s' not found", arg->id);
		return false;
	}
	return aging.ops->set(aging.opaque, &req, errp);
}
