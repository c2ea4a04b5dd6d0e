/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmage-qmp against a running VMM: one-shot commands in both forms,
 * argument typing, exit statuses, events, and the prompt with history.
 */
#include <string.h>
#include <sys/wait.h>

#include "libqmp.h"

static QmpProc *proc;

/* Run kvmage-qmp with @args; return the exit status, collect output. */
static int run(const char *const *args, const char *input, char **out,
	       char **err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *home = g_dir_make_tmp("kvmage-qmp-XXXXXX", NULL);
	g_auto(GStrv)
		env = g_environ_setenv(g_get_environ(), "HOME", home, TRUE);
	g_autofree char *in_path = g_build_filename(home, "in", NULL);
	g_autofree char *hist =
		g_build_filename(home, ".kvmage-qmp_history", NULL);
	g_autofree char *cmd = NULL, *line = NULL;
	GError *error = NULL;
	int status, i;

	/* a client that hangs fails the test instead of blocking it */
	g_ptr_array_add(argv, "timeout");
	g_ptr_array_add(argv, "10");
	g_ptr_array_add(argv, (char *)g_getenv("KVMAGE_QMP"));
	for (i = 0; args[i]; i++)
		g_ptr_array_add(argv, (char *)args[i]);
	g_ptr_array_add(argv, NULL);
	if (input) {
		/* feed the prompt through a file on stdin */
		g_auto(GStrv) quoted = g_new0(char *, argv->len);

		g_assert_true(g_file_set_contents(in_path, input, -1, NULL));
		for (i = 0; argv->pdata[i]; i++)
			quoted[i] = g_shell_quote(argv->pdata[i]);
		line = g_strjoinv(" ", quoted);
		cmd = g_strdup_printf("%s < %s", line, in_path);
		g_spawn_sync(NULL, (char *[]){ "/bin/sh", "-c", cmd, NULL },
			     env, 0, NULL, NULL, out, err, &status, &error);
	} else {
		g_spawn_sync(NULL, (char **)argv->pdata, env,
			     G_SPAWN_SEARCH_PATH, NULL, NULL, out, err, &status,
			     &error);
	}
	g_assert_no_error(error);
	unlink(in_path);
	unlink(hist);
	rmdir(home);
	g_assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_oneshot(void)
{
	g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
	g_autofree char *o3 = NULL, *e3 = NULL, *o4 = NULL, *e4 = NULL;

	g_assert_cmpint(run((const char *[]){ proc->sock, "query-status",
					      NULL },
			    NULL, &o1, &e1),
			==, 0);
	g_assert_cmpstr(o1, ==,
			"{\"singlestep\": false, \"status\": "
			"\"running\", \"running\": true}\n");
	g_assert_cmpint(run((const char *[]){ "-p", proc->sock,
					      "{\"execute\": \"query-name\"}",
					      NULL },
			    NULL, &o2, &e2),
			==, 0);
	g_assert_cmpstr(o2, ==, "{}\n");
	/* typed values: the array is JSON, so the enum check runs */
	g_assert_cmpint(run((const char *[]){ proc->sock, "qmp_capabilities",
					      "enable=[\"oob\"]", NULL },
			    NULL, &o3, &e3),
			==, 1);
	g_assert_cmpstr(e3, ==,
			"error: CommandNotFound: Capabilities "
			"negotiation is already complete, command ignored\n");
	g_assert_cmpint(run((const char *[]){ proc->sock, "query-kvm", "x=1",
					      NULL },
			    NULL, &o4, &e4),
			==, 1);
	g_assert_cmpstr(e4, ==,
			"error: GenericError: Parameter 'x' is "
			"unexpected\n");
}

static void test_failures(void)
{
	g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;

	g_assert_cmpint(run((const char *[]){ "/nonexistent/sock",
					      "query-status", NULL },
			    NULL, &o1, &e1),
			==, 2);
	g_assert_cmpint(run((const char *[]){ proc->sock, "stop", "novalue",
					      NULL },
			    NULL, &o2, &e2),
			==, 2);
}

static void test_prompt(void)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(run((const char *[]){ proc->sock, NULL },
			    "stop\nquery-status\nhistory\n!2\ncont\n", &out,
			    &err),
			==, 0);
	/* the STOP event shows up; history lists and repeats entries */
	g_assert_nonnull(strstr(out, "\"event\": \"STOP\""));
	g_assert_nonnull(strstr(out, "    2  query-status\n"));
	g_assert_nonnull(strstr(out, "(kvmage) query-status\n{\"singlestep\": "
				     "false, \"status\": \"paused\""));
	g_assert_nonnull(strstr(out, "\"event\": \"RESUME\""));
}

/* The VM is running: nothing of a refused request reached it. */
static void assert_running(void)
{
	g_autofree char *o = NULL, *e = NULL;

	g_assert_cmpint(run((const char *[]){ proc->sock, "query-status",
					      NULL },
			    NULL, &o, &e),
			==, 0);
	g_assert_nonnull(strstr(o, "\"status\": \"running\""));
}

/* Unterminated JSON is refused, whole, with status 2; it never hangs. */
static void test_incomplete(void)
{
	g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
	g_autofree char *o3 = NULL, *e3 = NULL, *o4 = NULL, *e4 = NULL;

	g_assert_cmpint(run((const char *[]){ proc->sock,
					      "{\"execute\": \"query-status\"",
					      NULL },
			    NULL, &o1, &e1),
			==, 2);
	g_assert_cmpstr(o1, ==, "");
	g_assert_cmpstr(e1, ==,
			"kvmage-qmp: incomplete JSON request, not sent: "
			"'{\"execute\": \"query-status\"' ends inside a "
			"value (missing '}', ']' or '\"'?)\n");
	/* a whole request followed by half of one: none of it is sent */
	g_assert_cmpint(run((const char *[]){ proc->sock,
					      "{\"execute\": \"stop\"}"
					      "{\"execute\": \"cont\"",
					      NULL },
			    NULL, &o2, &e2),
			==, 2);
	assert_running();
	/* at the prompt, a request may span lines */
	g_assert_cmpint(run((const char *[]){ proc->sock, NULL },
			    "{\"execute\":\n  \"query-status\"}\n", &o3, &e3),
			==, 0);
	g_assert_nonnull(strstr(o3, "(kvmage) ...> {\"singlestep\": false"));
	/* but input must not end inside one */
	g_assert_cmpint(run((const char *[]){ proc->sock, NULL },
			    "query-name\n{\"execute\":\"stop\"}{\"execute\":\n"
			    "\"cont\"\n",
			    &o4, &e4),
			==, 2);
	g_assert_cmpstr(e4, ==,
			"kvmage-qmp: incomplete JSON request at end of input, "
			"not sent: '{\"execute\":\"stop\"}{\"execute\": "
			"\"cont\"' ends inside a value (missing '}', ']' or "
			"'\"'?)\n");
	g_assert_nonnull(strstr(o4, "(kvmage) {}\n"));
	assert_running();
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	proc = qmp_proc_start(NULL, NULL);
	g_test_add_func("/kvmage-qmp/oneshot", test_oneshot);
	g_test_add_func("/kvmage-qmp/failures", test_failures);
	g_test_add_func("/kvmage-qmp/prompt", test_prompt);
	g_test_add_func("/kvmage-qmp/incomplete", test_incomplete);
	ret = g_test_run();
	qmp_proc_free(proc);
	return ret;
}
