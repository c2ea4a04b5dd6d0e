/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boot the hello guest: serial output, -append, every memory backend with
 * and without prealloc; command-line errors; SIGTERM while a guest runs.
 */
#include <signal.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "harness.h"

/* What tests/guest/hello.c prints on the serial console. */
#define HELLO_TEXT "Hello from kvmage guest\n"

static void test_hello(void)
{
	g_autoptr(HarnessResult) r = NULL;
	const char *hello;

	HARNESS_GUEST_OR_SKIP(hello, "hello");
	r = harness_run_guest(hello, NULL);
	harness_assert_exit(r, 0);
	g_assert_cmpstr(r->out, ==, HELLO_TEXT);
}

static void test_append(void)
{
	static const char cmdline[] = "answer=42 flag  two words";
	g_autoptr(HarnessResult) r = NULL;
	const char *hello;

	HARNESS_GUEST_OR_SKIP(hello, "hello");
	r = harness_run_guest(hello, "-append", cmdline, NULL);
	harness_assert_exit(r, 0);
	g_assert_true(g_str_has_prefix(r->out, HELLO_TEXT));
	if (!strstr(r->out, cmdline)) {
		harness_result_dump(r);
		g_assert_nonnull(strstr(r->out, cmdline));
	}
}

static void test_serial_file(void)
{
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *dir = NULL, *path = NULL, *arg = NULL, *text = NULL;
	const char *hello;

	HARNESS_GUEST_OR_SKIP(hello, "hello");
	dir = g_dir_make_tmp("kvmage-serial-XXXXXX", NULL);
	g_assert_nonnull(dir);
	path = g_build_filename(dir, "console.txt", NULL);
	g_assert_true(g_file_set_contents(path, "stale contents\n", -1, NULL));
	arg = g_strconcat("file:", path, NULL);
	r = harness_run_guest(hello, "-serial", arg, NULL);
	harness_assert_exit(r, 0);
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, HELLO_TEXT);
	g_assert_null(strstr(r->out, HELLO_TEXT));
	g_unlink(path);
	g_rmdir(dir);
}

static void test_serial_none(void)
{
	g_autoptr(HarnessResult) r = NULL;
	const char *hello;

	HARNESS_GUEST_OR_SKIP(hello, "hello");
	r = harness_run_guest(hello, "-serial", "none", NULL);
	harness_assert_exit(r, 0);
	g_assert_cmpstr(r->out, ==, "");
}

/* As in QEMU, -nodefaults drops the default serial console. */
static void test_nodefaults(void)
{
	g_autoptr(HarnessResult) r = NULL;
	const char *hello;

	HARNESS_GUEST_OR_SKIP(hello, "hello");
	r = harness_run_guest(hello, "-nodefaults", NULL);
	harness_assert_exit(r, 0);
	g_assert_cmpstr(r->out, ==, "");
	g_clear_pointer(&r, harness_result_free);
	r = harness_run_guest(hello, "-nodefaults", "-serial", "stdio", NULL);
	harness_assert_exit(r, 0);
	g_assert_cmpstr(r->out, ==, HELLO_TEXT);
}

typedef struct BackendCase {
	const char *type;
	bool prealloc;
} BackendCase;

static const BackendCase backend_cases[] = {
	{ "ram", false },  { "ram", true },   { "memfd", false },
	{ "memfd", true }, { "file", false }, { "file", true },
};

static void test_backend(gconstpointer data)
{
	const BackendCase *c = data;
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *dir = NULL, *object = NULL, *mem = NULL;
	g_autoptr(GDir) d = NULL;
	const char *hello;

	HARNESS_GUEST_OR_SKIP(hello, "hello");
	object = g_strdup_printf("memory-backend-%s,id=mem0,size=64M%s",
				 c->type, c->prealloc ? ",prealloc=on" : "");
	if (!strcmp(c->type, "file")) {
		dir = g_dir_make_tmp("kvmage-mem-XXXXXX", NULL);
		g_assert_nonnull(dir);
		char *with_path;

		mem = g_build_filename(dir, "guest-ram", NULL);
		with_path = g_strconcat(object, ",mem-path=", mem, NULL);
		g_free(object);
		object = with_path;
	}
	r = harness_run_guest(hello, "-m", "64M", "-object", object, "-machine",
			      "memory-backend=mem0", NULL);
	harness_assert_exit(r, 0);
	g_assert_cmpstr(r->out, ==, HELLO_TEXT);
	if (dir) {
		/* kvmage made the file; remove it and whatever else it left. */
		const char *name;

		d = g_dir_open(dir, 0, NULL);
		while (d && (name = g_dir_read_name(d))) {
			g_autofree char *f = g_build_filename(dir, name, NULL);

			g_unlink(f);
		}
		g_assert_cmpint(g_rmdir(dir), ==, 0);
	}
}

/* A bad command line: exit 1 with exactly one "kvmage: " line. */
static void check_bad_cmdline(const char *const *args, const char *mention)
{
	g_autoptr(HarnessResult) r = harness_runv(args);
	g_autoptr(GPtrArray) lines = NULL;

	harness_assert_exit(r, 1);
	lines = harness_grep(r->err, "");
	/* harness_grep() sees the empty string after the final newline. */
	if (lines->len != 2 || !g_str_has_prefix(r->err, "kvmage: ") ||
	    !g_str_has_suffix(r->err, "\n") || !strstr(r->err, mention)) {
		harness_result_dump(r);
		g_assert_cmpuint(lines->len, ==, 2);
		g_assert_true(g_str_has_prefix(r->err, "kvmage: "));
		g_assert_nonnull(strstr(r->err, mention));
	}
	g_assert_cmpstr(r->out, ==, "");
}

static void test_bad_mem_size(void)
{
	const char *args[] = { "-m", "abc", "-kernel", "/nonexistent", NULL };

	check_bad_cmdline(args, "abc");
}

static void test_unknown_option(void)
{
	const char *args[] = { "-frobnicate", NULL };

	check_bad_cmdline(args, "-frobnicate");
}

static void test_missing_backend(void)
{
	const char *args[] = { "-m",	   "64M",
			       "-machine", "memory-backend=nope",
			       "-kernel",  "/nonexistent",
			       NULL };

	check_bad_cmdline(args, "nope");
}

/* SIGTERM while the guest runs: a clean exit, not death by the signal. */
static void test_sigterm(void)
{
	const char *args[] = { "-kernel", NULL, "-append", "passes=0 size=16M",
			       NULL };
	g_autoptr(HarnessResult) r = NULL;
	HarnessProc *p;
	const char *workload;

	HARNESS_GUEST_OR_SKIP(workload, "workload");
	args[1] = workload;
	p = harness_spawn(args);
	/* Give it time to boot and start working; output proves it. */
	if (!harness_proc_wait_output(p, "workload: ", 20000))
		g_test_message(
			"no output within 20 s (scaled); sending SIGTERM "
			"anyway");
	timescale_sleep_ms(200);
	harness_proc_signal(p, SIGTERM);
	r = harness_proc_finish(p, 20000);
	if (r->timed_out || !r->exited) {
		harness_result_dump(r);
		g_assert_false(r->timed_out);
		g_assert_true(r->exited);
	}
	g_test_message("exit status %d after SIGTERM; stderr: %s", r->status,
		       r->err);
	harness_assert_exit(r, 0);
	g_assert_cmpstr(r->err, !=, "");
}

int main(int argc, char **argv)
{
	unsigned i;

	harness_init(&argc, &argv);
	g_test_add_func("/kvm/boot/hello", test_hello);
	g_test_add_func("/kvm/boot/append", test_append);
	g_test_add_func("/kvm/boot/serial-file", test_serial_file);
	g_test_add_func("/kvm/boot/serial-none", test_serial_none);
	g_test_add_func("/kvm/boot/nodefaults", test_nodefaults);
	for (i = 0; i < G_N_ELEMENTS(backend_cases); i++) {
		const BackendCase *c = &backend_cases[i];
		g_autofree char *path =
			g_strdup_printf("/kvm/boot/backend/%s/%s", c->type,
					c->prealloc ? "prealloc" :
						      "no-prealloc");

		g_test_add_data_func(path, c, test_backend);
	}
	g_test_add_func("/kvm/cmdline/bad-mem-size", test_bad_mem_size);
	g_test_add_func("/kvm/cmdline/unknown-option", test_unknown_option);
	g_test_add_func("/kvm/cmdline/missing-backend", test_missing_backend);
	g_test_add_func("/kvm/boot/sigterm", test_sigterm);
	return g_test_run();
}
