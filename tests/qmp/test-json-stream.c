/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON framer, parser and writer: every input is fed whole and one byte
 * at a time, and both must give the same messages.  Expected texts are
 * QEMU 7.2's (recorded from qemu-system-x86_64).
 */
#include <string.h>

#include "qapi/json-stream.h"
#include "qapi/qjson.h"

/* Messages as "OK <json>" or "ERR <text>", one string each. */
static void collect(void *opaque, JsonNode *msg, GError *err)
{
	GPtrArray *out = opaque;

	if (err) {
		g_ptr_array_add(out, g_strdup_printf("ERR %s", err->message));
		g_error_free(err);
	} else {
		g_autofree char *s = qjson_to_string(msg, false);

		g_ptr_array_add(out, g_strdup_printf("OK %s", s));
		json_node_unref(msg);
	}
}

static char *run(const char *in, size_t len, bool bytewise, size_t max_size,
		 size_t max_tokens, unsigned depth)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	JsonStream *s = json_stream_new(collect, out);
	size_t i;
	char *joined;

	json_stream_set_limits(s, max_size, max_tokens, depth);
	if (bytewise) {
		for (i = 0; i < len; i++)
			json_stream_feed(s, in + i, 1);
	} else {
		json_stream_feed(s, in, len);
	}
	json_stream_free(s);
	g_ptr_array_add(out, NULL);
	joined = g_strjoinv("\n", (char **)out->pdata);
	g_ptr_array_free(out, TRUE);
	return joined;
}

static void check(const char *in, size_t len, const char *expect)
{
	g_autofree char *whole =
		run(in, len, false, G_MAXSIZE, G_MAXSIZE, G_MAXUINT);
	g_autofree char *bytes =
		run(in, len, true, G_MAXSIZE, G_MAXSIZE, G_MAXUINT);

	g_assert_cmpstr(whole, ==, expect);
	g_assert_cmpstr(bytes, ==, expect);
}

#define CHECK(in, expect) check(in, sizeof(in) - 1, expect)

static void test_values(void)
{
	CHECK("{\"b\":1,\"a\":2,\"c\":3,\"id\":4,\"return\":5,\"error\":6}",
	      "OK {\"a\": 2, \"b\": 1, \"return\": 5, \"c\": 3, \"id\": 4, "
	      "\"error\": 6}");
	CHECK("[1,[],{},true,false,null,\"x\"] ",
	      "OK [1, [], {}, true, false, null, \"x\"]");
	CHECK("{'id':'q\"x'}", "OK {\"id\": \"q\\\"x\"}");
	CHECK("[1.5e3,-0,0.1,-0.0,9223372036854775807]",
	      "OK [1500, 0, 0.10000000000000001, -0, 9223372036854775807]");
	CHECK("[\"a\\/b\\u00e9\\u0001\\t\\ud83d\\ude00\"]",
	      "OK [\"a/b\\u00E9\\u0001\\t\\uD83D\\uDE00\"]");
	CHECK("[\"\\u0000\",\"\xc0\x80\",\"\x7f\"]",
	      "OK [\"\\u0000\", \"\\u0000\", \"\\u007F\"]");
	CHECK("\"\xc3\xa9\"", "OK \"\\u00E9\"");
}

static void test_scalars_need_delimiter(void)
{
	/* a number or keyword ends only when the next byte arrives */
	CHECK("1", "");
	CHECK("1 \"x\"", "OK 1\nOK \"x\"");
	CHECK("foo{\"a\"}", "ERR JSON parse error, invalid keyword 'foo'\n"
			    "ERR JSON parse error, missing : in object pair");
}

static void test_parse_errors(void)
{
	CHECK("{\"a\":}", "ERR JSON parse error, expecting value");
	CHECK("{,}", "ERR JSON parse error, expecting value");
	CHECK("[1,]", "ERR JSON parse error, expecting value");
	CHECK("}", "ERR JSON parse error, expecting value");
	CHECK("{\"i\":[1 2]}",
	      "ERR JSON parse error, expected separator in list");
	CHECK("{\"i\":{1:1}}",
	      "ERR JSON parse error, key is not a string in object");
	CHECK("{\"a\":1 \"b\":2}",
	      "ERR JSON parse error, expected separator in dict");
	CHECK("{\"id\":1,\"id\":2}", "ERR JSON parse error, duplicate key");
	CHECK("{\"i\":tru}", "ERR JSON parse error, invalid keyword 'tru'");
	CHECK("{\"i\":\"\\x01\"}",
	      "ERR JSON parse error, invalid escape sequence in string");
	CHECK("{\"i\":\"\\ud800x\"}",
	      "ERR JSON parse error, \\ud800 is not a valid Unicode character");
	CHECK("{\"i\":\"\\u12\"}",
	      "ERR JSON parse error, \\u12\" is not a valid Unicode character");
	CHECK("{\"i\":\"\xe9\"}",
	      "ERR JSON parse error, invalid UTF-8 sequence in string");
	CHECK("{\"i\":\"\xed\xa0\x80\"}",
	      "ERR JSON parse error, invalid UTF-8 sequence in string");
}

static void test_lexer_errors(void)
{
	CHECK("{\"i\":01}", "ERR JSON parse error, stray '01'\n"
			    "ERR JSON parse error, expecting value");
	CHECK("{\"i\":1.}", "ERR JSON parse error, stray '1.}'");
	CHECK("{\"i\":-}", "ERR JSON parse error, stray '-}'");
	CHECK("{\"i\":+1}", "ERR JSON parse error, stray '+'\n"
			    "ERR JSON parse error, expecting value");
	CHECK("{\"i\":%d}", "ERR JSON parse error, stray '%'\n"
			    "ERR JSON parse error, expecting value");
	/* recovery resumes at structural and control characters */
	CHECK("{\"e\":\"q\"\x1b,\"id\":1}",
	      "ERR JSON parse error, stray '\x1b'\n"
	      "ERR JSON parse error, expecting value\n"
	      "OK \"id\"\n"
	      "ERR JSON parse error, expecting value\n"
	      "OK 1\n"
	      "ERR JSON parse error, expecting value");
	CHECK("{\"a\":\"\xff\"}", "ERR JSON parse error, stray '\"\xff'\n"
				  "ERR JSON parse error, expecting value");
	CHECK("\xff{\"a\":1}", "ERR JSON parse error, stray '\xff'\n"
			       "OK {\"a\": 1}");
	/* QEMU has no exponent right after a leading zero */
	CHECK("[0e1]", "ERR JSON parse error, expected separator in list");
	CHECK("0E ", "OK 0\nERR JSON parse error, stray 'E'");
}

static void test_limits(void)
{
	g_autofree char *deep = g_strnfill(5, '[');
	g_autofree char *r = run(deep, 5, false, G_MAXSIZE, G_MAXSIZE, 4);
	g_autofree char *r2 = NULL, *r3 = NULL, *r4 = NULL;

	/* the fifth '[' exceeds depth 4; the framer starts over */
	g_assert_cmpstr(r, ==, "ERR JSON nesting depth limit exceeded");
	r2 = run("[1,2,3] [1,2,3,4]", 17, false, G_MAXSIZE, 7, G_MAXUINT);
	g_assert_cmpstr(r2, ==,
			"OK [1, 2, 3]\n"
			"ERR JSON token count limit exceeded\n"
			"ERR JSON parse error, expecting value");
	r3 = run("[\"abcdef\"] [\"abcdefghijk\"]", 26, false, 12, G_MAXSIZE,
		 G_MAXUINT);
	g_assert_cmpstr(r3, ==,
			"OK [\"abcdef\"]\n"
			"ERR JSON token size limit exceeded\n"
			"ERR JSON parse error, expecting value");
	/* one over-long token is cut off, never buffered without bound */
	r4 = run("\"aaaaaaaaaaaaaaaaaaaa\"", 22, true, 8, G_MAXSIZE, G_MAXUINT);
	g_assert_true(g_str_has_prefix(r4, "ERR JSON token size limit "
					   "exceeded"));
}

static void test_writer(void)
{
	JsonObject *o, *v;
	g_autoptr(JsonNode) n = qjson_new_object(&o);
	g_autofree char *s = NULL, *p = NULL;

	/* QEMU's greeting order; micro/minor share a bucket */
	json_object_set_member(o, "QMP", qjson_new_object(&v));
	json_object_set_member(v, "major", qjson_new_int(7));
	json_object_set_member(v, "minor", qjson_new_int(2));
	json_object_set_member(v, "micro", qjson_new_int(0));
	json_object_set_member(v, "s", qjson_new_string("\"\\\b\f\n\r\t/\x01"));
	s = qjson_to_string(n, false);
	g_assert_cmpstr(s, ==,
			"{\"QMP\": {\"s\": \"\\\"\\\\\\b\\f\\n\\r\\t/"
			"\\u0001\", \"micro\": 0, \"minor\": 2, \"major\": 7}}");
	p = qjson_to_string(n, true);
	/* one U+FFFD per malformed sequence, as QEMU prints them */
	{
		g_autoptr(JsonNode)
			bad = qjson_new_string("\xed\xa0\x80|\xc0"
					       "f|\xf8\x88\x80\x80\x80|\x80");
		g_autofree char *b = qjson_to_string(bad, false);

		g_assert_cmpstr(b, ==, "\"\\uFFFD|\\uFFFDf|\\uFFFD|\\uFFFD\"");
	}
	g_assert_true(strstr(p, "{\n    \"QMP\": {\n        \"s\": "));
}

static void test_parse_string(void)
{
	GError *err = NULL;
	JsonNode *n = json_parse_string("{\"a\": [1]}", 10, &err);

	g_assert_no_error(err);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(n));
	json_node_unref(n);
	n = json_parse_string("[1] [2]", 7, &err);
	g_assert_null(n);
	g_assert_nonnull(err);
	g_clear_error(&err);
	n = json_parse_string("[1", 2, &err);
	g_assert_null(n);
	g_assert_cmpstr(err->message, ==, "JSON parse error, premature EOI");
	g_clear_error(&err);
}

static void drop(void *opaque, JsonNode *msg, GError *err)
{
	if (msg)
		json_node_unref(msg);
	if (err)
		g_error_free(err);
}

/* json_stream_pending() after feeding @in, checked after every byte. */
static bool pending_after(const char *in)
{
	JsonStream *s = json_stream_new(drop, NULL);
	const char *req = "{\"execute\": \"query-status\", \"id\": [1, \"]\"]}";
	size_t i;
	bool ret;

	/* every proper prefix of a request is pending, the whole is not */
	for (i = 0; req[i]; i++) {
		g_assert_true(json_stream_pending(s) == (i > 0));
		json_stream_feed(s, req + i, 1);
	}
	g_assert_false(json_stream_pending(s));
	json_stream_feed(s, in, strlen(in));
	ret = json_stream_pending(s);
	json_stream_free(s);
	return ret;
}

static void test_pending(void)
{
	g_assert_false(pending_after(""));
	g_assert_false(pending_after(" \n"));
	g_assert_true(pending_after("{\"execute\": \"query-status\""));
	g_assert_true(pending_after("{\"execute\": \"query-st"));
	g_assert_true(pending_after("[{}"));
	g_assert_true(pending_after("{\"a\": tru"));
	g_assert_true(pending_after("'single"));
	/* a top-level scalar waits for its delimiter */
	g_assert_true(pending_after("12"));
	g_assert_false(pending_after("12 "));
	/* an error ends the value: nothing is pending */
	g_assert_false(pending_after("}"));
	g_assert_false(pending_after("{\"a\":1}}"));
	g_assert_false(pending_after("{\"a\" \x01"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/json/values", test_values);
	g_test_add_func("/json/scalars-need-delimiter",
			test_scalars_need_delimiter);
	g_test_add_func("/json/parse-errors", test_parse_errors);
	g_test_add_func("/json/lexer-errors", test_lexer_errors);
	g_test_add_func("/json/limits", test_limits);
	g_test_add_func("/json/writer", test_writer);
	g_test_add_func("/json/parse-string", test_parse_string);
	g_test_add_func("/json/pending", test_pending);
	return g_test_run();
}
