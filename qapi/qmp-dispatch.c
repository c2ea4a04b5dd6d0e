/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP request validation and dispatch; see qmp-dispatch.h.
 * Locking: main thread only.
 */
#include <string.h>

#include "qapi/qmp-dispatch.h"
#include "util/error.h"

static const char *const error_classes[] = {
	[KVMAGE_ERROR_GENERIC] = "GenericError",
	[KVMAGE_ERROR_COMMAND_NOT_FOUND] = "CommandNotFound",
	[KVMAGE_ERROR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
	[KVMAGE_ERROR_DEVICE_NOT_FOUND] = "DeviceNotFound",
	[KVMAGE_ERROR_KVM_MISSING_CAP] = "KVMMissingCap",
};

const char *qmp_error_class(const GError *err)
{
	if (err->domain == KVMAGE_ERROR && err->code >= 0 &&
	    (gsize)err->code < G_N_ELEMENTS(error_classes))
		return error_classes[err->code];
	return "GenericError";
}

JsonNode *qmp_error_response(const GError *err)
{
	JsonObject *rsp, *e;
	JsonNode *node = qjson_new_object(&rsp);

	json_object_set_member(rsp, "error", qjson_new_object(&e));
	json_object_set_member(e, "class",
			       qjson_new_string(qmp_error_class(err)));
	json_object_set_member(e, "desc", qjson_new_string(err->message));
	return node;
}

const QmpCommand *qmp_command_find(const QmpCommandTable *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->len; i++) {
		if (!strcmp(t->cmds[i].name, name))
			return &t->cmds[i];
	}
	return NULL;
}

static bool is_string(JsonNode *n)
{
	return JSON_NODE_HOLDS_VALUE(n) &&
	       json_node_get_value_type(n) == G_TYPE_STRING;
}

/*
 * Check the request's members in QEMU's dictionary order and return the
 * key naming the command ("execute" or "exec-oob"), or NULL.
 */
static const char *check_request(JsonObject *req, bool allow_oob, GError **errp)
{
	g_autoptr(GPtrArray) names = qjson_object_members(req);
	const char *exec_key = NULL;
	guint i;

	for (i = 0; i < names->len; i++) {
		const char *key = names->pdata[i];
		JsonNode *val = json_object_get_member(req, key);

		if (!strcmp(key, "execute") ||
		    (allow_oob && !strcmp(key, "exec-oob"))) {
			if (!is_string(val)) {
				error_setg(errp,
					   "QMP input member '%s' must "
					   "be a string",
					   key);
				return NULL;
			}
			if (exec_key) {
				error_setg(errp,
					   "QMP input member '%s' clashes"
					   " with '%s'",
					   key, exec_key);
				return NULL;
			}
			exec_key = key;
		} else if (!strcmp(key, "arguments")) {
			if (!JSON_NODE_HOLDS_OBJECT(val)) {
				error_setg(errp, "QMP input member 'arguments'"
						 " must be an object");
				return NULL;
			}
		} else if (strcmp(key, "id")) {
			error_setg(errp, "QMP input member '%s' is unexpected",
				   key);
			return NULL;
		}
	}
	if (!exec_key)
		error_setg(errp, "QMP input lacks member 'execute'");
	return exec_key;
}

static JsonNode *run_command(const QmpCommandTable *t, JsonObject *req,
			     bool negotiating, bool allow_oob, GError **errp)
{
	const char *key = check_request(req, allow_oob, errp), *name;
	const QmpCommand *cmd;
	g_autoptr(JsonObject) empty = NULL;
	JsonObject *args;
	JsonNode *ret = NULL;

	if (!key)
		return NULL;
	name = json_object_get_string_member(req, key);
	cmd = qmp_command_find(t, name);
	if (!cmd || (negotiating && strcmp(name, "qmp_capabilities"))) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_COMMAND_NOT_FOUND,
			    "The command %s has not been found", name);
		return NULL;
	}
	if (!strcmp(key, "exec-oob") && !(cmd->flags & QMP_CMD_ALLOW_OOB)) {
		error_setg(errp, "The command %s does not support OOB", name);
		return NULL;
	}
	if (json_object_has_member(req, "arguments")) {
		args = json_object_get_object_member(req, "arguments");
	} else {
		empty = json_object_new();
		args = empty;
	}
	cmd->fn(args, &ret, errp);
	return ret;
}

JsonNode *qmp_dispatch(const QmpCommandTable *t, JsonNode *request,
		       bool negotiating, bool allow_oob)
{
	JsonObject *req = NULL, *rsp;
	JsonNode *ret = NULL, *id = NULL, *out;
	GError *err = NULL;

	if (JSON_NODE_HOLDS_OBJECT(request)) {
		req = json_node_get_object(request);
		id = json_object_get_member(req, "id");
		ret = run_command(t, req, negotiating, allow_oob, &err);
	} else {
		error_setg(&err, "QMP input must be a JSON object");
	}
	if (err) {
		if (negotiating &&
		    g_error_matches(err, KVMAGE_ERROR,
				    KVMAGE_ERROR_COMMAND_NOT_FOUND)) {
			g_free(err->message);
			err->message =
				g_strdup("Expecting capabilities "
					 "negotiation with 'qmp_capabilities'");
		}
		out = qmp_error_response(err);
		g_error_free(err);
		if (ret)
			json_node_unref(ret);
	} else {
		out = qjson_new_object(&rsp);
		/* a marshaller that returns nothing means "return": {} */
		json_object_set_member(rsp, "return",
				       ret ? ret : qjson_new_object(NULL));
	}
	if (id)
		json_object_set_member(json_node_get_object(out), "id",
				       json_node_copy(id));
	return out;
}
