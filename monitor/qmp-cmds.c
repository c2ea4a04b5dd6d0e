/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The monitor's own commands: qmp_capabilities, query-version,
 * query-commands, query-qmp-schema.  Locking: main thread only.
 */
#include <string.h>

#include "monitor-int.h"
#include "qapi/json-stream.h"
#include "qapi-commands.h"
#include "qmp-version.h"
#include "util/error.h"

bool qmp_qmp_capabilities(q_obj_qmp_capabilities_arg *arg, GError **errp)
{
	MonitorClient *c = monitor_cur_client();
	QMPCapabilityList *enable = arg->enable;
	bool oob = false;

	if (!c || !monitor_client_negotiating(c)) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_COMMAND_NOT_FOUND,
			    "Capabilities negotiation is already complete, "
			    "command ignored");
		return false;
	}
	for (; arg->has_enable && enable; enable = enable->next) {
		if (enable->value == QMP_CAPABILITY_OOB)
			oob = true;
	}
	monitor_client_negotiated(c, oob);
	return true;
}

bool qmp_query_version(VersionInfo **ret, GError **errp)
{
	*ret = monitor_version_info();
	return true;
}

bool qmp_query_commands(CommandInfoList **ret, GError **errp)
{
	CommandInfoList *list = NULL, *e;
	size_t i;

	/* prepend in reverse so the list follows the table */
	for (i = qmp_commands.len; i-- > 0;) {
		e = g_new0(CommandInfoList, 1);
		e->value = g_new0(CommandInfo, 1);
		e->value->name = g_strdup(qmp_commands.cmds[i].name);
		e->next = list;
		list = e;
	}
	*ret = list;
	return true;
}

/* Parsed once, on first use, from the generated text. */
static JsonNode *schema_node(GError **errp)
{
	static JsonNode *schema;

	if (!schema)
		schema = json_parse_string(qapi_introspect_json,
					   strlen(qapi_introspect_json), errp);
	return schema;
}

void qmp_marshal_query_qmp_schema(JsonObject *args, JsonNode **ret,
				  GError **errp)
{
	static const char *const known[] = { NULL };
	JsonNode *schema;

	if (!qapi_in_check_unexpected(args, NULL, known, errp))
		return;
	schema = schema_node(errp);
	if (schema)
		*ret = json_node_copy(schema);
}
