/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keyval_parse() and keyval_get_bool(): QEMU's key=value option syntax. */
#include <stdarg.h>
#include <glib.h>

#include "util/error.h"
#include "util/keyval.h"

/* Parse and check the table against NULL-terminated key, value pairs. */
static void check_ok(const char *str, const char *implied, ...)
{
	g_autoptr(GHashTable) kv = NULL;
	GError *err = NULL;
	const char *key;
	unsigned n = 0;
	va_list ap;

	kv = keyval_parse(str, implied, "-opt", &err);
	g_assert_no_error(err);
	g_assert_nonnull(kv);
	va_start(ap, implied);
	while ((key = va_arg(ap, const char *))) {
		const char *want = va_arg(ap, const char *);

		g_assert_cmpstr(g_hash_table_lookup(kv, key), ==, want);
		n++;
	}
	va_end(ap);
	g_assert_cmpuint(g_hash_table_size(kv), ==, n);
}

static void check_err(const char *str, const char *implied,
		      const char *opt_name, const char *want)
{
	GError *err = NULL;
	GHashTable *kv = keyval_parse(str, implied, opt_name, &err);

	g_assert_null(kv);
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==, want);
	g_error_free(err);
}

static void test_basic(void)
{
	check_ok("", NULL, NULL);
	check_ok("a=1", NULL, "a", "1", NULL);
	check_ok("a=1,b=2", NULL, "a", "1", "b", "2", NULL);
	check_ok("a=1,b=2,", NULL, "a", "1", "b", "2", NULL);
	check_ok("a=", NULL, "a", "", NULL);
	check_ok("a=,b=x", NULL, "a", "", "b", "x", NULL);
	check_ok("mem-path=/dev/shm/x=y", NULL, "mem-path", "/dev/shm/x=y",
		 NULL);
	check_ok("Key_1.x-y=v", NULL, "Key_1.x-y", "v", NULL);
}

static void test_implied(void)
{
	check_ok("memory-backend-ram,id=m", "qom-type", "qom-type",
		 "memory-backend-ram", "id", "m", NULL);
	check_ok("512M", "size", "size", "512M", NULL);
	/* an explicit key in first position is not the implied one */
	check_ok("id=m", "qom-type", "id", "m", NULL);
	check_ok("qom-type=x,id=m", "qom-type", "qom-type", "x", "id", "m",
		 NULL);
	check_ok(",id=m", "qom-type", "qom-type", "", "id", "m", NULL);
	/* only the first element may be implied */
	check_err("id=m,foo", "qom-type", "-object",
		  "-object id=m,foo: Expected '=' after parameter 'foo'");
	check_err("a,b", "type", "-machine",
		  "-machine a,b: Expected '=' after parameter 'b'");
}

static void test_escape(void)
{
	check_ok("a=x,,y", NULL, "a", "x,y", NULL);
	check_ok("a=x,,,,y,b=2", NULL, "a", "x,,y", "b", "2", NULL);
	check_ok("a=,,", NULL, "a", ",", NULL);
	check_ok("a=x,,", NULL, "a", "x,", NULL);
	check_ok("a=x,,,b=1", NULL, "a", "x,", "b", "1", NULL);
	check_ok("a=1,,,", NULL, "a", "1,", NULL); /* then a trailing ',' */
	check_ok("foo,,bar", "name", "name", "foo,bar", NULL);
	check_ok("foo,,bar,guest=x", "name", "name", "foo,bar", "guest", "x",
		 NULL);
	check_ok("file=a,,b=c", NULL, "file", "a,b=c", NULL);
	/* ",," never ends an element, even inside a would-be key */
	check_err("a,,b=c", NULL, "-opt",
		  "-opt a,,b=c: Invalid parameter 'a,b'");
}

static void test_errors(void)
{
	check_err("a=1,a=2", NULL, "-opt",
		  "-opt a=1,a=2: Parameter 'a' is given more than once");
	check_err("2,cpus=3", "cpus", "-smp",
		  "-smp 2,cpus=3: Parameter 'cpus' is given more than once");
	check_err("=3", NULL, "-opt", "-opt =3: Invalid parameter ''");
	check_err("a=1,=3", "x", "-opt", "-opt a=1,=3: Invalid parameter ''");
	check_err(",", NULL, "-machine", "-machine ,: Invalid parameter ''");
	check_err("a=1,b", NULL, "-opt",
		  "-opt a=1,b: Expected '=' after parameter 'b'");
	check_err("foo", NULL, "-opt",
		  "-opt foo: Expected '=' after parameter 'foo'");
	check_err("a b=1", NULL, "-opt", "-opt a b=1: Invalid parameter 'a b'");
	check_err("a/b=1", NULL, "-opt", "-opt a/b=1: Invalid parameter 'a/b'");
	/* without an option name the message stands alone */
	check_err("a=1,a=2", NULL, NULL,
		  "Parameter 'a' is given more than once");
}

static void check_bool(const char *str, bool def, bool want)
{
	g_autoptr(GHashTable) kv = keyval_parse(str, NULL, "-opt", NULL);
	GError *err = NULL;
	bool val = !want;

	g_assert_nonnull(kv);
	g_assert_true(keyval_get_bool(kv, "b", def, &val, &err));
	g_assert_no_error(err);
	g_assert_cmpint(val, ==, want);
}

static void test_bool(void)
{
	g_autoptr(GHashTable) kv = NULL;
	GError *err = NULL;
	bool val = true;

	check_bool("b=on", false, true);
	check_bool("b=yes", false, true);
	check_bool("b=true", false, true);
	check_bool("b=off", true, false);
	check_bool("b=no", true, false);
	check_bool("b=false", true, false);
	check_bool("a=off", true, true); /* absent: the default */
	check_bool("a=on", false, false);

	kv = keyval_parse("b=maybe", NULL, "-opt", NULL);
	g_assert_false(keyval_get_bool(kv, "b", false, &val, &err));
	g_assert_error(err, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC);
	g_assert_cmpstr(err->message, ==,
			"Parameter 'b' expects 'on' or 'off'");
	g_assert_true(val); /* untouched on failure */
	g_clear_error(&err);
	g_hash_table_replace(kv, g_strdup("b"), g_strdup("ON"));
	g_assert_false(keyval_get_bool(kv, "b", false, &val, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	g_hash_table_replace(kv, g_strdup("b"), g_strdup(""));
	g_assert_false(keyval_get_bool(kv, "b", false, &val, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/keyval/basic", test_basic);
	g_test_add_func("/keyval/implied", test_implied);
	g_test_add_func("/keyval/escape", test_escape);
	g_test_add_func("/keyval/errors", test_errors);
	g_test_add_func("/keyval/bool", test_bool);
	return g_test_run();
}
