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

bool qmp_query_memory_aging(bool has_cold_threshold_ms,
			    int64_t cold_threshold_ms,
			    MemoryAgingInfoList **ret, GError **errp)
{
	*ret = NULL;
	if (has_cold_threshold_ms && cold_threshold_ms < 0) {
		error_setg(errp, "Parameter 'cold-threshold-ms' must not be "
				 "negative");
		return false;
	}
	if (!aging.ops)
		return true;
	return aging.ops->query(aging.opaque, has_cold_threshold_ms,
				cold_threshold_ms, ret, errp);
}

bool qmp_memory_aging_set(char *id, bool has_enable, bool enable,
			  bool has_interval, int64_t interval, bool has_backend,
			  MemoryAgingBackend backend, bool has_mode,
			  MemoryAgingMode mode, bool has_sample, int64_t sample,
			  GError **errp)
{
	const QmpAgingSet req = {
		.id = id,
		.has_enable = has_enable,
		.enable = enable,
		.has_interval = has_interval,
		.interval = interval,
		.has_backend = has_backend,
		.backend = backend,
		.has_mode = has_mode,
		.mode = mode,
		.has_sample = has_sample,
		.sample = sample,
	};

	if (!aging.ops) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Memory aging object '%s' not found", id);
		return false;
	}
	return aging.ops->set(aging.opaque, &req, errp);
}
