/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Code generated from tests/qmp/qapi-test.json: argument checks with
 * QEMU's texts (paths like 'outer.list[1].n' were checked against QEMU
 * 7.2 on commands with the same shapes), output, events, introspection.
 */
#include <string.h>

#include "qapi/json-stream.h"
#include "qapi/qjson.h"
#include "qapi/qmp-event.h"
#include "test-qapi-commands.h"
#include "test-qapi-events.h"
#include "test-qapi-visit.h"
#include "util/error.h"

extern const char test_qapi_introspect_json[];

static GPtrArray *events;

/* The emitter the generated event senders reach (qapi/qmp-event.c). */
static void test_event_emit(const char *name, JsonNode *data)
{
	g_autofree char *d = data ? qjson_to_string(data, false) : NULL;

	g_ptr_array_add(events, g_strdup_printf("%s %s", name, d ? d : "-"));
	if (data)
		json_node_unref(data);
}

/* Boxed: the marshaller hands over the generated argument struct. */
bool qmp_test_echo(q_obj_test_echo_arg *arg, TestOuter **ret, GError **errp)
{
	JsonNode *n = qapi_out_TestOuter(arg->outer);
	JsonObject *o = json_node_get_object(n);
	QapiPath p;

	/* round trip through the visitors */
	qapi_path_member(&p, NULL, "outer");
	g_assert_true(qapi_in_TestOuter(n, &p, ret, errp));
	(*ret)->inner->n += arg->has_count ? arg->count : 0;
	if (arg->has_color)
		qapi_event_send_test_event(arg->color, arg->has_count,
					   arg->count);
	g_assert_true(json_object_has_member(o, "inner"));
	json_node_unref(n);
	return true;
}

bool qmp_test_colors(q_obj_test_colors_arg *arg, TestColorList **ret,
		     GError **errp)
{
	TestColorList *l;
	int i;

	if (arg->has_fail && arg->fail) {
		g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_DEVICE_NOT_FOUND,
			    "Device 'x' not found");
		return false;
	}
	for (i = TEST_COLOR__MAX - 1; i >= 0; i--) {
		l = g_new0(TestColorList, 1);
		l->value = i;
		l->next = *ret;
		*ret = l;
	}
	return true;
}

/* Boxed with a named struct: the arguments are a TestInner. */
bool qmp_test_inner(TestInner *arg, TestInner **ret, GError **errp)
{
	*ret = g_new0(TestInner, 1);
	(*ret)->n = arg->n * 2;
	(*ret)->has_s = arg->has_s;
	(*ret)->s = g_strdup(arg->s);
	return true;
}

static char *call(const char *req)
{
	GError *err = NULL;
	g_autoptr(JsonNode) in = json_parse_string(req, strlen(req), &err);
	g_autoptr(JsonNode) out = NULL;

	g_assert_no_error(err);
	out = qmp_dispatch(&test_qmp_commands, in, false, true);
	return qjson_to_string(out, false);
}

#define OUTER  "{\"inner\":{\"n\":1},\"list\":[],\"num\":1,\"flag\":true}"
#define ERR(d) "{\"error\": {\"class\": \"GenericError\", \"desc\": \"" d "\"}}"

static const struct {
	const char *args;
	const char *reply;
} cases[] = {
	{ "{}", ERR("Parameter 'outer' is missing") },
	{ "{\"outer\":1}",
	  ERR("Invalid parameter type for 'outer', expected: object") },
	{ "{\"outer\":{}}", ERR("Parameter 'outer.inner' is missing") },
	{ "{\"outer\":{\"inner\":{\"n\":\"1\"}}}",
	  ERR("Invalid parameter type for 'outer.inner.n', expected: integer") },
	{ "{\"outer\":{\"inner\":{\"n\":1.5}}}",
	  ERR("Invalid parameter type for 'outer.inner.n', expected: integer") },
	{ "{\"outer\":{\"inner\":{\"n\":1,\"s\":null}}}",
	  ERR("Invalid parameter type for 'outer.inner.s', expected: string") },
	{ "{\"outer\":{\"inner\":{\"n\":1,\"x\":1}}}",
	  ERR("Parameter 'outer.inner.x' is unexpected") },
	{ "{\"outer\":{\"inner\":{\"n\":1},\"list\":{}}}",
	  ERR("Invalid parameter type for 'outer.list', expected: array") },
	{ "{\"outer\":{\"inner\":{\"n\":1},\"list\":[{\"n\":1},{}]}}",
	  ERR("Parameter 'outer.list[1].n' is missing") },
	{ "{\"outer\":{\"inner\":{\"n\":1},\"list\":[],\"colors\":[\"red\","
	  "\"blue\"]}}",
	  ERR("Parameter 'null' does not accept value 'blue'") },
	{ "{\"outer\":{\"inner\":{\"n\":1},\"list\":[],\"num\":\"x\"}}",
	  ERR("Invalid parameter type for 'outer.num', expected: number") },
	{ "{\"outer\":{\"inner\":{\"n\":1},\"list\":[],\"num\":1,\"flag\":0}}",
	  ERR("Invalid parameter type for 'outer.flag', expected: boolean") },
	{ "{\"outer\":" OUTER ",\"color\":\"blue\"}",
	  ERR("Parameter 'color' does not accept value 'blue'") },
	{ "{\"outer\":" OUTER ",\"count\":true}",
	  ERR("Invalid parameter type for 'count', expected: integer") },
	{ "{\"outer\":" OUTER ",\"extra\":1}",
	  ERR("Parameter 'extra' is unexpected") },
	{ "{\"outer\":" OUTER "}",
	  "{\"return\": {\"inner\": {\"n\": 1}, \"list\": [], \"num\": 1, "
	  "\"flag\": true}}" },
	{ "{\"outer\":{\"inner\":{\"n\":1,\"s\":\"x\"},\"list\":[{\"n\":2}],"
	  "\"colors\":[\"green\"],\"num\":0.5,\"flag\":false,\"any\":[null,{}],"
	  "\"default\":\"d\"},\"count\":41,\"color\":\"red\"}",
	  "{\"return\": {\"inner\": {\"n\": 42, \"s\": \"x\"}, \"list\": "
	  "[{\"n\": 2}], \"any\": [null, {}], \"default\": \"d\", "
	  "\"colors\": [\"green\"], \"num\": 0.5, \"flag\": false}}" },
};

static void test_arguments(void)
{
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *req =
			g_strdup_printf("{\"execute\":\"test-echo\",\"arguments\":%s}",
					cases[i].args);
		g_autofree char *rsp = call(req);

		g_assert_cmpstr(rsp, ==, cases[i].reply);
	}
}

static void test_events(void)
{
	g_autofree char *a = NULL, *b = NULL;

	g_ptr_array_set_size(events, 0);
	a = call("{\"execute\":\"test-echo\",\"arguments\":{\"outer\":" OUTER
		 ",\"color\":\"green\",\"count\":3}}");
	b = call("{\"execute\":\"test-echo\",\"arguments\":{\"outer\":" OUTER
		 ",\"color\":\"red\"}}");
	g_assert_cmpuint(events->len, ==, 2);
	g_assert_cmpstr(events->pdata[0], ==,
			"TEST_EVENT {\"n\": 3, \"color\": \"green\"}");
	g_assert_cmpstr(events->pdata[1], ==,
			"TEST_EVENT {\"color\": \"red\"}");
}

static void test_errors_and_lists(void)
{
	g_autofree char *a = call("{\"execute\":\"test-colors\",\"id\":1}");
	g_autofree char *b = call("{\"execute\":\"test-colors\","
				  "\"arguments\":{\"fail\":true}}");
	g_autofree char *c = call("{\"exec-oob\":\"test-colors\"}");

	g_assert_cmpstr(a, ==, "{\"return\": [\"red\", \"green\"], \"id\": 1}");
	g_assert_cmpstr(b, ==,
			"{\"error\": {\"class\": \"DeviceNotFound\", "
			"\"desc\": \"Device 'x' not found\"}}");
	/* allow-oob commands run through exec-oob */
	g_assert_cmpstr(c, ==, "{\"return\": [\"red\", \"green\"]}");
}

static void test_named_arguments(void)
{
	g_autofree char *a = call("{\"execute\":\"test-inner\","
				  "\"arguments\":{\"n\":21,\"s\":\"x\"}}");
	g_autofree char *b = call("{\"execute\":\"test-inner\","
				  "\"arguments\":{\"s\":\"x\"}}");
	g_autofree char *c = call("{\"execute\":\"test-inner\","
				  "\"arguments\":{\"n\":1,\"t\":2}}");

	g_assert_cmpstr(a, ==, "{\"return\": {\"n\": 42, \"s\": \"x\"}}");
	g_assert_cmpstr(b, ==, ERR("Parameter 'n' is missing"));
	g_assert_cmpstr(c, ==, ERR("Parameter 't' is unexpected"));
}

static JsonObject *entity(JsonArray *arr, const char *name)
{
	guint i;

	for (i = 0; i < json_array_get_length(arr); i++) {
		JsonObject *o = json_array_get_object_element(arr, i);

		if (!strcmp(json_object_get_string_member(o, "name"), name))
			return o;
	}
	g_assert_not_reached();
}

static void test_introspection(void)
{
	GError *err = NULL;
	g_autoptr(JsonNode)
		n = json_parse_string(test_qapi_introspect_json,
				      strlen(test_qapi_introspect_json), &err);
	JsonArray *arr;
	JsonObject *cmd, *args, *ret, *m;

	g_assert_no_error(err);
	arr = json_node_get_array(n);
	cmd = entity(arr, "test-colors");
	g_assert_cmpstr(json_object_get_string_member(cmd, "meta-type"), ==,
			"command");
	g_assert_true(json_object_get_boolean_member(cmd, "allow-oob"));
	/* QEMU's shape: masked type names, "default": null if optional */
	args = entity(arr, json_object_get_string_member(cmd, "arg-type"));
	m = json_array_get_object_element(json_object_get_array_member(args,
								       "members"),
					  0);
	g_assert_cmpstr(json_object_get_string_member(m, "name"), ==, "fail");
	g_assert_cmpstr(json_object_get_string_member(m, "type"), ==, "bool");
	g_assert_true(json_object_has_member(m, "default"));
	ret = entity(arr, json_object_get_string_member(cmd, "ret-type"));
	g_assert_cmpstr(json_object_get_string_member(ret, "meta-type"), ==,
			"array");
	ret = entity(arr, json_object_get_string_member(ret, "element-type"));
	g_assert_cmpstr(json_object_get_string_member(ret, "meta-type"), ==,
			"enum");
	g_assert_cmpuint(json_array_get_length(
				 json_object_get_array_member(ret, "values")),
			 ==, 2);
	g_assert_cmpstr(json_object_get_string_member(entity(arr, "TEST_EVENT"),
						      "meta-type"),
			==, "event");
	g_assert_cmpstr(json_object_get_string_member(entity(arr, "0"),
						      "meta-type"),
			==, "object");
	/* a named struct as arguments: its (masked) type is the arg-type */
	cmd = entity(arr, "test-inner");
	args = entity(arr, json_object_get_string_member(cmd, "arg-type"));
	g_assert_cmpstr(json_object_get_string_member(cmd, "arg-type"), ==,
			json_object_get_string_member(cmd, "ret-type"));
	g_assert_cmpuint(json_array_get_length(
				 json_object_get_array_member(args, "members")),
			 ==, 2);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	events = g_ptr_array_new_with_free_func(g_free);
	qapi_event_set_emitter(test_event_emit);
	g_test_add_func("/qapi-gen/arguments", test_arguments);
	g_test_add_func("/qapi-gen/events", test_events);
	g_test_add_func("/qapi-gen/errors-and-lists", test_errors_and_lists);
	g_test_add_func("/qapi-gen/named-arguments", test_named_arguments);
	g_test_add_func("/qapi-gen/introspection", test_introspection);
	return g_test_run();
}
