/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emitter of QMP events (include/qapi/qmp-event.h).
 */
#include <glib.h>

#include "qapi/qmp-event.h"

static QapiEventEmitFn qapi_event_emitter;

void qapi_event_set_emitter(QapiEventEmitFn fn)
{
	g_atomic_pointer_set(&qapi_event_emitter, fn);
}

void qapi_event_emit(const char *name, JsonNode *data)
{
	QapiEventEmitFn fn = g_atomic_pointer_get(&qapi_event_emitter);

	if (fn) {
		fn(name, data);
		return;
	}
	if (data)
		json_node_unref(data);
}
