/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP protocol rules, end to end over a unix socket.  Expected lines are
 * QEMU 7.2's replies byte for byte (recorded from qemu-system-x86_64);
 * every rule is checked with whole writes and with one byte per write.
 */
#include <string.h>

#include "libqmp.h"

static QmpProc *proc;

#define NEG                                                       \
	"{\"error\": {\"class\": \"CommandNotFound\", \"desc\": " \
	"\"Expecting capabilities negotiation with 'qmp_capabilities'\"}}"
#define GENERIC(d)                                             \
	"{\"error\": {\"class\": \"GenericError\", \"desc\": " \
	"\"" d "\"}}"
#define STATUS(s, r)                            \
	"{\"return\": {\"status\": \"" s "\", " \
	"\"singlestep\": false, \"running\": " r "}"

typedef struct Case {
	const char *in;
	const char *out[8];
} Case;

/* Send @in (whole, or one byte per write) and expect exactly @out. */
static void run_case(QmpConn *c, const Case *t, bool bytewise)
{
	size_t i, len = strlen(t->in);
	char *line;

	if (bytewise) {
		for (i = 0; i < len; i++)
			qmp_send_bytes(c, t->in + i, 1);
	} else {
		qmp_send(c, t->in);
	}
	for (i = 0; t->out[i]; i++) {
		line = qmp_recv_line(c, QMP_TIMEOUT_MS);
		if (g_strcmp0(line, t->out[i]))
			g_test_message("input: %s", t->in);
		g_assert_cmpstr(line, ==, t->out[i]);
		g_free(line);
	}
	/* nothing more: a sync command answers next */
	line = qmp_cmd_line(c,
			    "{\"execute\":\"query-status\",\"id\":\"sync\"}");
	g_assert_true(g_str_has_suffix(line, "\"id\": \"sync\"}"));
	g_free(line);
}

static void run_cases(const Case *cases, size_t n, bool negotiate)
{
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		QmpConn *c = negotiate ? qmp_conn_negotiated(proc->sock) :
					 qmp_conn_new(proc->sock);

		for (i = 0; i < n; i++) {
			if (!negotiate) {
				/* the sync query also fails before negotiation */
				qmp_send(c, cases[i].in);
				for (size_t j = 0; cases[i].out[j]; j++) {
					g_autofree char *l =
						qmp_recv_line(c,
							      QMP_TIMEOUT_MS);
					g_assert_cmpstr(l, ==, cases[i].out[j]);
				}
				continue;
			}
			run_case(c, &cases[i], pass == 1);
		}
		qmp_conn_free(c);
	}
}

static void test_greeting(void)
{
	QmpConn *c = qmp_conn_new(proc->sock);
	g_autoptr(GRegex) re =
		g_regex_new("^\\{\"QMP\": \\{\"version\": \\{\"qemu\": \\{\"micro\": \\d+, "
			    "\"minor\": \\d+, \"major\": \\d+\\}, \"package\": \"[^\"]*\"\\}, "
			    "\"capabilities\": \\[\"oob\"\\]\\}\\}$",
			    0, 0, NULL);
	g_autofree char *ver = NULL;

	g_assert_true(g_regex_match(re, c->greeting, 0, NULL));
	qmp_send(c, "{\"execute\":\"qmp_capabilities\"}");
	g_free(qmp_recv_reply(c));
	/* query-version returns what the greeting announced */
	ver = qmp_cmd_line(c, "{\"execute\":\"query-version\"}");
	{
		/* strip {"return": ... } */
		g_autofree char *inner = g_strndup(ver + 11, strlen(ver) - 12);

		g_assert_nonnull(strstr(c->greeting, inner));
	}
	qmp_conn_free(c);
}

static const Case negotiation[] = {
	{ "{\"execute\":\"query-status\"}", { NEG } },
	{ "{\"execute\":\"nope\",\"id\":5}",
	  { "{\"id\": 5, \"error\": {\"class\": \"CommandNotFound\", "
	    "\"desc\": \"Expecting capabilities negotiation with "
	    "'qmp_capabilities'\"}}" } },
	{ "{\"execute\":\"query-status\",\"arguments\":{\"x\":1}}", { NEG } },
	{ "{\"exec-oob\":\"query-status\"}",
	  { GENERIC("QMP input member 'exec-oob' is unexpected") } },
	{ "[1]", { GENERIC("QMP input must be a JSON object") } },
	{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":1}}",
	  { GENERIC("Invalid parameter type for 'enable', expected: array") } },
	{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[1]}}",
	  { GENERIC("Invalid parameter type for 'enable[0]', expected: "
		    "string") } },
	{ "{\"execute\":\"qmp_capabilities\",\"arguments\":"
	  "{\"enable\":[\"foo\"]}}",
	  { GENERIC("Parameter 'null' does not accept value 'foo'") } },
	{ "{\"execute\":\"qmp_capabilities\",\"arguments\":"
	  "{\"enable\":[\"oob\"],\"x\":1}}",
	  { GENERIC("Parameter 'x' is unexpected") } },
	{ "{\"execute\":\"qmp_capabilities\",\"id\":1}",
	  { "{\"return\": {}, \"id\": 1}" } },
	{ "{\"execute\":\"qmp_capabilities\",\"id\":\"x\"}",
	  { "{\"id\": \"x\", \"error\": {\"class\": \"CommandNotFound\", "
	    "\"desc\": \"Capabilities negotiation is already complete, "
	    "command ignored\"}}" } },
	{ "{\"execute\":\"query-status\"}", { STATUS("running", "true") "}" } },
};

static void test_negotiation(void)
{
	run_cases(negotiation, G_N_ELEMENTS(negotiation), false);
}

static const Case requests[] = {
	{ "[1]", { GENERIC("QMP input must be a JSON object") } },
	{ "1 \"x\"",
	  { GENERIC("QMP input must be a JSON object"),
	    GENERIC("QMP input must be a JSON object") } },
	{ "{}", { GENERIC("QMP input lacks member 'execute'") } },
	{ "{\"id\":5}",
	  { "{\"id\": 5, \"error\": {\"class\": \"GenericError\", "
	    "\"desc\": \"QMP input lacks member 'execute'\"}}" } },
	{ "{\"execute\":1}",
	  { GENERIC("QMP input member 'execute' must be a string") } },
	{ "{\"execute\":\"nope\"}",
	  { "{\"error\": {\"class\": "
	    "\"CommandNotFound\", \"desc\": \"The command nope has not been "
	    "found\"}}" } },
	{ "{\"execute\":\"query-status\",\"foo\":1}",
	  { GENERIC("QMP input member 'foo' is unexpected") } },
	{ "{\"arguments\":1,\"foo\":2,\"bar\":3,\"execute\":\"x\"}",
	  { GENERIC("QMP input member 'bar' is unexpected") } },
	{ "{\"execute\":\"query-status\",\"control\":1}",
	  { GENERIC("QMP input member 'control' is unexpected") } },
	{ "{\"exec-oob\":\"query-status\"}",
	  { GENERIC("QMP input member 'exec-oob' is unexpected") } },
	{ "{\"execute\":\"query-status\",\"arguments\":1}",
	  { GENERIC("QMP input member 'arguments' must be an object") } },
	{ "{\"execute\":\"query-status\",\"arguments\":{\"x\":1}}",
	  { GENERIC("Parameter 'x' is unexpected") } },
	{ "{\"execute\":\"query-status\",\"arguments\":{}}",
	  { STATUS("running", "true") "}" } },
	{ "{\"execute\":\"query-name\",\"arguments\":{\"b\":1,\"a\":2}}",
	  { GENERIC("Parameter 'b' is unexpected") } },
	{ "{\"a\"}",
	  { GENERIC("JSON parse error, missing : in object pair") } },
	{ "{\"execute\":\"query-status\"}}",
	  { STATUS("running", "true") "}",
	    GENERIC("JSON parse error, expecting value") } },
	{ "{\"execute\":\"query-status\",\"id\":%d}",
	  { GENERIC("JSON parse error, stray '%'"),
	    GENERIC("JSON parse error, expecting value") } },
	{ "{\"execute\":\"query-status\",\"id\":\"\xff\"}",
	  { GENERIC("JSON parse error, stray '\\\"\\uFFFD'"),
	    GENERIC("JSON parse error, expecting value") } },
	{ "{\"execute\":\"query-status\",\"id\":1}"
	  "{\"execute\":\"query-status\",\"id\":2}",
	  { STATUS("running", "true") ", \"id\": 1}",
	    STATUS("running", "true") ", \"id\": 2}" } },
};

static void test_requests(void)
{
	run_cases(requests, G_N_ELEMENTS(requests), true);
}

static const Case ids[] = {
#define ID(in, out)                                         \
	{                                                   \
		"{\"execute\":\"stop\",\"id\":" in "}",     \
		{                                           \
			"{\"return\": {}, \"id\": " out "}" \
		}                                           \
	}
	ID("1", "1"),
	ID("-7", "-7"),
	ID("1.5e3", "1500"),
	ID("-0", "0"),
	ID("0.1", "0.10000000000000001"),
	ID("true", "true"),
	ID("null", "null"),
	ID("\"a\\/b\\u00e9\"", "\"a/b\\u00E9\""),
	ID("'q\"x'", "\"q\\\"x\""),
	ID("[1,{\"a\":null}]", "[1, {\"a\": null}]"),
	ID("{\"b\":1,\"a\":2,\"error\":6}",
	   "{\"a\": 2, \"b\": 1, \"error\": 6}"),
	ID("\"\\ud83d\\ude00\"", "\"\\uD83D\\uDE00\""),
	ID("\"\xc3\xa9\"", "\"\\u00E9\""),
	ID("\"\\u0000\"", "\"\\u0000\""),
#undef ID
};

static void test_id_echo(void)
{
	QmpConn *c = qmp_conn_negotiated(proc->sock);
	g_autofree char *r = qmp_cmd_line(c, "{\"execute\":\"stop\"}");

	/* the first stop sends STOP; later ones are no-ops without events */
	g_assert_cmpstr(r, ==, "{\"return\": {}}");
	qmp_conn_free(c);
	run_cases(ids, G_N_ELEMENTS(ids), true);
	c = qmp_conn_negotiated(proc->sock);
	g_free(qmp_cmd_line(c, "{\"execute\":\"cont\"}"));
	qmp_conn_free(c);
}

static void test_oob(void)
{
	QmpConn *c = qmp_conn_new(proc->sock);
	g_autofree char *a = NULL, *b = NULL, *d = NULL, *e = NULL;

	a = qmp_cmd_line(c, "{\"execute\":\"qmp_capabilities\","
			    "\"arguments\":{\"enable\":[\"oob\"]}}");
	g_assert_cmpstr(a, ==, "{\"return\": {}}");
	b = qmp_cmd_line(c, "{\"exec-oob\":\"query-status\",\"id\":1}");
	g_assert_cmpstr(b, ==,
			"{\"id\": 1, \"error\": {\"class\": "
			"\"GenericError\", \"desc\": \"The command query-status "
			"does not support OOB\"}}");
	d = qmp_cmd_line(c, "{\"exec-oob\":\"nope\",\"id\":1}");
	g_assert_cmpstr(d, ==,
			"{\"id\": 1, \"error\": {\"class\": "
			"\"CommandNotFound\", \"desc\": \"The command nope has "
			"not been found\"}}");
	e = qmp_cmd_line(c, "{\"exec-oob\":\"query-status\","
			    "\"execute\":\"query-status\"}");
	g_assert_cmpstr(e, ==,
			GENERIC("QMP input member 'execute' clashes "
				"with 'exec-oob'"));
	qmp_conn_free(c);
}

static void test_pipelining(void)
{
	QmpConn *c = qmp_conn_negotiated(proc->sock);
	GString *batch = g_string_new(NULL);
	int i;

	for (i = 0; i < 500; i++)
		g_string_append_printf(batch,
				       "{\"execute\":\"query-name\","
				       "\"id\":%d}",
				       i);
	qmp_send(c, batch->str);
	for (i = 0; i < 500; i++) {
		g_autofree char *want =
			g_strdup_printf("{\"return\": {}, \"id\": %d}", i);
		g_autofree char *got = qmp_recv_line(c, QMP_TIMEOUT_MS);

		g_assert_cmpstr(got, ==, want);
	}
	g_string_free(batch, TRUE);
	qmp_conn_free(c);
}

static void test_events(void)
{
	QmpConn *a = qmp_conn_negotiated(proc->sock);
	QmpConn *b = qmp_conn_negotiated(proc->sock);
	QmpConn *raw = qmp_conn_new(proc->sock);
	g_autoptr(GRegex) re =
		g_regex_new("^\\{\"timestamp\": \\{\"seconds\": "
			    "\\d+, \"microseconds\": \\d+\\}, \"event\": \"STOP\"\\}$",
			    0, 0, NULL);
	g_autofree char *ev = NULL, *r1 = NULL, *r2 = NULL, *r3 = NULL;
	g_autofree char *evb = NULL, *st = NULL, *none = NULL;

	/* the event precedes the reply, like QEMU */
	qmp_send(a, "{\"execute\":\"stop\"}");
	ev = qmp_recv_line(a, QMP_TIMEOUT_MS);
	g_assert_true(g_regex_match(re, ev, 0, NULL));
	r1 = qmp_recv_line(a, QMP_TIMEOUT_MS);
	g_assert_cmpstr(r1, ==, "{\"return\": {}}");
	evb = qmp_event_wait(b, "STOP", QMP_TIMEOUT_MS);
	g_assert_nonnull(evb);
	st = qmp_cmd_line(b, "{\"execute\":\"query-status\"}");
	g_assert_cmpstr(st, ==, STATUS("paused", "false") "}");
	/* stop while paused: no event */
	r2 = qmp_cmd_line(a, "{\"execute\":\"stop\"}");
	g_assert_cmpstr(r2, ==, "{\"return\": {}}");
	g_assert_true(g_queue_is_empty(a->events));
	r3 = qmp_cmd_line(a, "{\"execute\":\"cont\"}");
	g_assert_cmpstr(r3, ==, "{\"return\": {}}");
	g_free(qmp_event_wait(a, "RESUME", QMP_TIMEOUT_MS));
	g_free(qmp_event_wait(b, "RESUME", QMP_TIMEOUT_MS));
	/* a client still negotiating gets no events */
	none = qmp_recv_line(raw, 200);
	g_assert_null(none);
	qmp_conn_free(raw);
	qmp_conn_free(b);
	qmp_conn_free(a);
}

static void test_queries(void)
{
	QmpConn *c = qmp_conn_negotiated(proc->sock);
	g_autofree char *kvm = qmp_cmd_line(c, "{\"execute\":\"query-kvm\"}");
	g_autofree char *mem =
		qmp_cmd_line(c, "{\"execute\":\"query-memory-size-summary\"}");
	g_autoptr(JsonNode)
		cmds = qmp_cmd(c, "{\"execute\":\"query-commands\"}");
	JsonArray *arr =
		json_object_get_array_member(json_node_get_object(cmds),
					     "return");
	static const char *const want[] = {
		"qmp_capabilities",
		"query-version",
		"query-commands",
		"query-qmp-schema",
		"query-status",
		"stop",
		"cont",
		"quit",
		"system_reset",
		"query-name",
		"query-kvm",
		"query-cpus-fast",
		"query-memdev",
		"query-chardev",
		"query-memory-size-summary",
	};
	guint i, j;

	g_assert_true(g_str_has_prefix(kvm, "{\"return\": {\"enabled\": "));
	g_assert_true(g_str_has_prefix(mem, "{\"return\": {\"base-memory\": "));
	for (i = 0; i < G_N_ELEMENTS(want); i++) {
		for (j = 0; j < json_array_get_length(arr); j++) {
			JsonObject *o = json_array_get_object_element(arr, j);

			if (!strcmp(json_object_get_string_member(o, "name"),
				    want[i]))
				break;
		}
		g_assert_cmpuint(j, <, json_array_get_length(arr));
	}
	qmp_conn_free(c);
}

/* Every type a command or event names is defined in the schema. */
static void test_schema(void)
{
	QmpConn *c = qmp_conn_negotiated(proc->sock);
	g_autoptr(JsonNode)
		rsp = qmp_cmd(c, "{\"execute\":\"query-qmp-schema\"}");
	JsonArray *arr = json_object_get_array_member(json_node_get_object(rsp),
						      "return");
	g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
	guint i, n = json_array_get_length(arr), commands = 0;
	static const char *const refs[] = { "arg-type", "ret-type",
					    "element-type" };

	for (i = 0; i < n; i++) {
		JsonObject *o = json_array_get_object_element(arr, i);

		g_hash_table_add(names,
				 (char *)json_object_get_string_member(o,
								       "name"));
	}
	for (i = 0; i < n; i++) {
		JsonObject *o = json_array_get_object_element(arr, i);
		const char *mt = json_object_get_string_member(o, "meta-type");

		commands += !strcmp(mt, "command");
		for (guint k = 0; k < G_N_ELEMENTS(refs); k++) {
			if (json_object_has_member(o, refs[k]))
				g_assert_true(g_hash_table_contains(
					names,
					json_object_get_string_member(o,
								      refs[k])));
		}
		if (!strcmp(mt, "object")) {
			JsonArray *m =
				json_object_get_array_member(o, "members");

			for (guint k = 0; k < json_array_get_length(m); k++)
				g_assert_true(g_hash_table_contains(
					names,
					json_object_get_string_member(
						json_array_get_object_element(m,
									      k),
						"type")));
		}
	}
	/*
	 * 15 QEMU commands (with query-chardev) + query-memory-aging,
	 * memory-aging-set, query-memory-residency + the 7 job commands
	 * (query-jobs, job-*) + memory-populate + memory-reclaim,
	 * query-memory-reclaim + the 8 migration commands
	 */
	g_assert_cmpuint(commands, ==, 36);
	qmp_conn_free(c);
}

static void test_limits(void)
{
	QmpConn *c = qmp_conn_negotiated(proc->sock);
	g_autofree char *deep = g_strnfill(1025, '[');
	g_autofree char *l1 = NULL, *l2 = NULL;
	GString *big = g_string_new("{\"execute\":\"query-status\",\"id\":\"");
	g_autofree char *r = NULL;
	gsize prefix;

	/* the 1025th bracket exceeds QEMU's nesting limit */
	qmp_send(c, deep);
	l1 = qmp_recv_line(c, QMP_TIMEOUT_MS);
	g_assert_cmpstr(l1, ==, GENERIC("JSON nesting depth limit exceeded"));
	/* the connection stays usable (bare brackets: one error each) */
	qmp_send(c, "]");
	l2 = qmp_recv_line(c, QMP_TIMEOUT_MS);
	g_assert_cmpstr(l2, ==, GENERIC("JSON parse error, expecting value"));
	/* a 64 MiB string: reported, and memory stays bounded */
	prefix = big->len;
	g_string_set_size(big, 64u << 20);
	memset(big->str + prefix, 'a', big->len - prefix);
	g_string_append(big, "\"}");
	qmp_send_bytes(c, big->str, big->len);
	r = qmp_recv_line(c, 20000);
	g_assert_cmpstr(r, ==, GENERIC("JSON token size limit exceeded"));
	g_string_free(big, TRUE);
	qmp_conn_free(c);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	proc = qmp_proc_start(NULL, NULL);
	g_test_add_func("/qmp/greeting", test_greeting);
	g_test_add_func("/qmp/negotiation", test_negotiation);
	g_test_add_func("/qmp/requests", test_requests);
	g_test_add_func("/qmp/id-echo", test_id_echo);
	g_test_add_func("/qmp/oob", test_oob);
	g_test_add_func("/qmp/pipelining", test_pipelining);
	g_test_add_func("/qmp/events", test_events);
	g_test_add_func("/qmp/queries", test_queries);
	g_test_add_func("/qmp/schema", test_schema);
	g_test_add_func("/qmp/limits", test_limits);
	ret = g_test_run();
	qmp_proc_free(proc);
	return ret;
}
