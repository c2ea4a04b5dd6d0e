/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP request checking and command dispatch.
 *
 * qmp_dispatch() validates one request exactly as QEMU does (same checks,
 * same order, same error classes and texts), runs the command's
 * marshaller and builds the response object, echoing "id".  The command
 * table is generated from the qapi schema; command bodies are qmp_<name>()
 * functions in the subsystems that own them.
 *
 * Locking: runs in the main thread (the monitor's GMainContext); command
 * bodies may assume they are called from the main loop.
 */
#ifndef QAPI_QMP_DISPATCH_H
#define QAPI_QMP_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "qapi/qapi-visit-core.h"
#include "qapi/qjson.h"

#define QMP_CMD_ALLOW_OOB 1u

/* Unmarshal @args, run the command, set *ret or @errp. */
typedef void QmpMarshalFn(JsonObject *args, JsonNode **ret, GError **errp);

typedef struct QmpCommand {
	const char *name;
	QmpMarshalFn *fn;
	unsigned flags;
} QmpCommand;

typedef struct QmpCommandTable {
	const QmpCommand *cmds;
	size_t len;
} QmpCommandTable;

const QmpCommand *qmp_command_find(const QmpCommandTable *t, const char *name);

/*
 * Handle one parsed request.  @negotiating: only qmp_capabilities is
 * available (other commands get QEMU's "Expecting capabilities
 * negotiation" error).  @allow_oob: the client enabled the oob capability,
 * so "exec-oob" is a valid key.  Returns the response, never NULL.
 */
JsonNode *qmp_dispatch(const QmpCommandTable *t, JsonNode *request,
		       bool negotiating, bool allow_oob);

/* {"error": {"class": ..., "desc": ...}} for @err. */
JsonNode *qmp_error_response(const GError *err);
/* QMP class name of @err: its KVMAGE_ERROR code, else GenericError. */
const char *qmp_error_class(const GError *err);

/* query-qmp-schema's data, generated (qapi-introspect.c). */
extern const char qapi_introspect_json[];

#endif
