/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Differential QMP suite: the same transcripts are played against QEMU
 * (qemu-system-x86_64 -machine none) and against kvmage, and every reply
 * and event line must be identical after masking timestamps and version
 * numbers.  A schema test compares the structure of every command's and
 * event's types in both introspections.  Without QEMU it skips: a TAP
 * skip plan and exit 0 under --tap (meson), exit 77 otherwise.
 * QMP_DIFF_SLOW=1 adds the 64 MiB message-size limit (QEMU takes minutes);
 * QMP_DIFF_RANDOM=N sets the number of random inputs (default 1000),
 * QMP_DIFF_SEED their seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libqmp.h"
#include "qmp-diff-schema.h"
#include "qapi/json-stream.h"

enum {
	STEP_NOSYNC = 1,   /* the connection ends; read until EOF */
	STEP_BYTEWISE = 2, /* one byte per write */
};

typedef struct Step {
	const char *in;
	size_t len; /* 0: strlen(in) */
	unsigned flags;
} Step;

typedef struct Transcript {
	const char *name;
	const char *args[10];
	const Step *steps;
	bool bytewise; /* every step one byte per write */
} Transcript;

#define CAPS                                         \
	{                                            \
		"{\"execute\":\"qmp_capabilities\"}" \
	}
#define END          \
	{            \
		NULL \
	}

static const Step negotiation[] = {
	{ "{\"execute\":\"query-status\"}" },
	{ "{\"execute\":\"nope\",\"id\":5}" },
	{ "{\"exec-oob\":\"query-status\"}" },
	{ "[1]" },
	{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":1}}" },
	{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[1]}}" },
	{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"x\"]}}" },
	{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"x\":1}}" },
	{ "{\"execute\":\"qmp_capabilities\",\"id\":{\"a\":[1,2.5,null]}}" },
	{ "{\"execute\":\"qmp_capabilities\",\"id\":1}" },
	{ "{\"execute\":\"query-status\"}" },
	END,
};

#define REQUEST_STEPS(flags)                                                      \
	{ "[1]", 0, flags }, { "1 \"x\" ", 0, flags }, { "{}", 0, flags },        \
		{ "{\"id\":5}", 0, flags }, { "{\"execute\":1}", 0, flags },      \
		{ "{\"execute\":[]}", 0, flags },                                 \
		{ "{\"execute\":\"nope\"}", 0, flags },                           \
		{ "{\"execute\":\"query-status\",\"foo\":1}", 0, flags },         \
		{ "{\"arguments\":1,\"foo\":2,\"bar\":3,\"execute\":\"x\"}",      \
		  0, flags },                                                     \
		{ "{\"arguments\":[],\"execute\":\"query-status\"}", 0,           \
		  flags },                                                        \
		{ "{\"exec-oob\":\"query-status\",\"id\":2}", 0, flags },         \
		{ "{\"execute\":\"query-name\",\"arguments\":{\"b\":1,\"a\":2}}", \
		  0, flags },                                                     \
		{ "{\"execute\":\"query-kvm\",\"arguments\":{}}", 0, flags },     \
		{ "{\"execute\":\"stop\",\"id\":\"s\"}{\"execute\":\"cont\"}",    \
		  0, flags },                                                     \
	{                                                                         \
		"{\"execute\":\"query-status\"}}", 0, flags                       \
	}

static const Step requests[] = { CAPS, REQUEST_STEPS(0), END };
static const Step requests_bytewise[] = {
	CAPS,
	REQUEST_STEPS(STEP_BYTEWISE),
	END,
};

static const Step json_errors[] = {
	CAPS,
	{ "foo " },
	{ "{\"a\"}" },
	{ "{\"a\":}" },
	{ "{,}" },
	{ "[1,]" },
	{ "'x' " },
	{ "{'execute':'query-status','id':'q\"x'}" },
	{ "}" },
	{ "]" },
	{ "{\"i\":tru}" },
	{ "{\"i\":01}" },
	{ "{\"i\":1.}" },
	{ "{\"i\":-}" },
	{ "{\"i\":+1}" },
	{ "{\"i\":[1 2]}" },
	{ "{\"i\":{\"a\" 1}}" },
	{ "{\"i\":{1:1}}" },
	{ "{\"i\":{\"a\":1 \"b\":2}}" },
	{ "{\"i\":1,\"i\":2}" },
	{ "{\"i\":%d}" },
	{ "{\"i\":\"\\x01\"}" },
	{ "{\"i\":\"\\ud800\"}" },
	{ "{\"i\":\"\\u12\"}" },
	{ "{\"i\":\"\xc3\"}" },
	{ "{\"i\":\"\xed\xa0\x80\"}" },
	{ "{\"i\":\"\xff\"}" },
	{ "{\"i\":True}" },
	{ "{\"execute\":\"query-status\"\x1b,\"id\":1}" },
	{ "{\"execute\":\"query-status\"\0,\"id\":1}", 35 },
	{ "\xfe{\"execute\":\"query-name\"}" },
	{ "{\"execute\":\"query-status\",\"id\":1e400}" },
	{ "{\"execute\":\"query-status\",\"id\":\"\\ufffe\"}" },
	{ "{\"execute\":\"query-status\",\"id\":\"\xef\xbf\xbe\"}" },
	{ "{\"execute\":\"query-status\",\"id\":\"\xf4\x90\x80\x80\"}" },
	{ "{\"execute\":\"query-status\",\"id\":\"\\'\"}" },
	{ "{\"execute\":\"query-status\",\"id\":'\\''}" },
	END,
};

static const Step ids[] = {
	CAPS,
	{ "{\"execute\":\"query-name\",\"id\":1}" },
	{ "{\"execute\":\"query-name\",\"id\":-7}" },
	{ "{\"execute\":\"query-name\",\"id\":1.5e3}" },
	{ "{\"execute\":\"query-name\",\"id\":-0}" },
	{ "{\"execute\":\"query-name\",\"id\":-0.0}" },
	{ "{\"execute\":\"query-name\",\"id\":0.1}" },
	{ "{\"execute\":\"query-name\",\"id\":1e-7}" },
	{ "{\"execute\":\"query-name\",\"id\":9223372036854775807}" },
	{ "{\"execute\":\"query-name\",\"id\":-9223372036854775808}" },
	{ "{\"execute\":\"query-name\",\"id\":true}" },
	{ "{\"execute\":\"query-name\",\"id\":null}" },
	{ "{\"execute\":\"query-name\",\"id\":\"a\\/b\\u00e9\\u0001\\t\"}" },
	{ "{\"execute\":\"query-name\",\"id\":\"\\ud83d\\ude00\\u0000\"}" },
	{ "{\"execute\":\"query-name\",\"id\":\"\xc3\xa9\xc0\x80\x7f\"}" },
	{ "{\"execute\":\"query-name\",\"id\":[1,{\"a\":null},[]]}" },
	{ "{\"execute\":\"query-name\",\"id\":{\"b\":1,\"a\":2,\"c\":3,"
	  "\"id\":4,\"return\":5,\"error\":6,\"core-id\":7,\"share\":8}}" },
	END,
};

static const Step oob[] = {
	{ "{\"execute\":\"qmp_capabilities\",\"arguments\":"
	  "{\"enable\":[\"oob\"]}}" },
	{ "{\"exec-oob\":\"query-status\"}" },
	{ "{\"exec-oob\":\"query-status\",\"id\":1}" },
	{ "{\"exec-oob\":\"nope\",\"id\":1}" },
	{ "{\"exec-oob\":\"query-status\",\"execute\":\"query-status\"}" },
	{ "{\"exec-oob\":1}" },
	END,
};

static const Step run_state[] = {
	CAPS,
	{ "{\"execute\":\"stop\"}" },
	{ "{\"execute\":\"stop\"}" },
	{ "{\"execute\":\"query-status\"}" },
	{ "{\"execute\":\"cont\"}" },
	{ "{\"execute\":\"cont\"}" },
	{ "{\"execute\":\"query-status\"}" },
	{ "{\"execute\":\"system_reset\",\"id\":9}" },
	{ "{\"execute\":\"stop\",\"arguments\":{\"force\":true}}" },
	END,
};

static const Step prelaunch[] = {
	CAPS,
	{ "{\"execute\":\"query-status\"}" },
	{ "{\"execute\":\"stop\"}" },
	{ "{\"execute\":\"query-status\"}" },
	{ "{\"execute\":\"cont\"}" },
	{ "{\"execute\":\"query-status\"}" },
	{ "{\"execute\":\"query-name\"}" },
	END,
};

static const Step queries[] = {
	CAPS,
	{ "{\"execute\":\"query-version\"}" },
	{ "{\"execute\":\"query-kvm\"}" },
	{ "{\"execute\":\"query-memdev\"}" },
	{ "{\"execute\":\"query-cpus-fast\"}" },
	{ "{\"execute\":\"query-memory-size-summary\"}" },
	{ "{\"execute\":\"query-name\"}" },
	{ "{\"execute\":\"query-chardev\"}" },
	END,
};

/* One client on the first of several monitors; the others idle. */
static const Step chardevs[] = {
	CAPS,
	{ "{\"execute\":\"query-chardev\"}" },
	{ "{\"execute\":\"query-chardev\",\"arguments\":{\"x\":1}}" },
	END,
};

/* The job commands with no job: QEMU's replies word for word. */
#define JOB_VERB_STEPS(verb)                                               \
	{ "{\"execute\":\"" verb "\",\"arguments\":{\"id\":\"j0\"}}" },    \
		{ "{\"execute\":\"" verb "\"}" },                          \
		{ "{\"execute\":\"" verb "\",\"arguments\":{\"id\":1}}" }, \
	{                                                                  \
		"{\"execute\":\"" verb "\",\"arguments\":"                 \
		"{\"id\":\"j0\",\"force\":true}}"                          \
	}

static const Step jobs[] = {
	CAPS,
	{ "{\"execute\":\"query-jobs\"}" },
	{ "{\"execute\":\"query-jobs\",\"arguments\":{\"id\":\"j0\"}}" },
	JOB_VERB_STEPS("job-pause"),
	JOB_VERB_STEPS("job-resume"),
	JOB_VERB_STEPS("job-cancel"),
	JOB_VERB_STEPS("job-complete"),
	JOB_VERB_STEPS("job-dismiss"),
	JOB_VERB_STEPS("job-finalize"),
	END,
};

static const Step quit[] = {
	CAPS,
	{ "{\"execute\":\"quit\",\"id\":[\"bye\"]}", 0, STEP_NOSYNC },
	END,
};

/* Migration: nothing migrated yet, bad arguments, a bad URI's events. */
static const Step migration[] = {
	CAPS,
	{ "{\"execute\":\"query-migrate\"}" },
	{ "{\"execute\":\"migrate-incoming\",\"arguments\":"
	  "{\"uri\":\"unix:/nonexistent/x\"}}" },
	{ "{\"execute\":\"migrate_cancel\"}" },
	{ "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
	  "{\"downtime-limit\":300000000}}" },
	{ "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
	  "{\"downtime-limit\":-1}}" },
	{ "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
	  "{\"downtime-limit\":300}}" },
	{ "{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
	  "{\"capabilities\":[{\"capability\":\"nope\","
	  "\"state\":true}]}}" },
	{ "{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
	  "{\"capabilities\":[{\"capability\":\"events\","
	  "\"state\":true}]}}" },
	{ "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"foo:bar\"}}" },
	{ "{\"execute\":\"query-migrate\"}" },
	{ "{\"execute\":\"migrate\"}" },
	END,
};

/* -incoming defer: the guest waits for migrate-incoming. */
static const Step incoming_defer[] = {
	CAPS,
	{ "{\"execute\":\"query-status\"}" },
	{ "{\"execute\":\"query-migrate\"}" },
	{ "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"foo:bar\"}}" },
	{ "{\"execute\":\"migrate\",\"arguments\":"
	  "{\"uri\":\"unix:/nonexistent/x\"}}" },
	{ "{\"execute\":\"migrate-incoming\",\"arguments\":"
	  "{\"uri\":\"foo:bar\"}}" },
	END,
};

static const Transcript transcripts[] = {
	{ "negotiation", { NULL }, negotiation },
	{ "requests", { NULL }, requests },
	{ "requests-bytewise", { NULL }, requests_bytewise },
	{ "json-errors", { NULL }, json_errors },
	{ "json-errors-bytewise", { NULL }, json_errors, true },
	{ "ids-bytewise", { NULL }, ids, true },
	{ "ids", { NULL }, ids },
	{ "oob", { NULL }, oob },
	{ "run-state", { NULL }, run_state },
	{ "prelaunch", { "-S", "-name", "guest0", NULL }, prelaunch },
	{ "queries", { NULL }, queries },
	{ "memdev",
	  { "-object", "memory-backend-ram,id=m0,size=64M", NULL },
	  queries },
	{ "chardevs",
	  { "-chardev", "socket,id=mon1,path=@DIR@/c1.sock,server=on,wait=off",
	    "-qmp", "unix:@DIR@/q2.sock,server=on,wait=off", "-qmp",
	    "tcp:127.0.0.1:0,server=on,wait=off", "-mon",
	    "chardev=mon1,mode=control", NULL },
	  chardevs },
	{ "jobs", { NULL }, jobs },
	{ "migration", { NULL }, migration },
	{ "incoming-defer", { "-incoming", "defer", NULL }, incoming_defer },
	{ "quit", { NULL }, quit },
};

static void send_step(QmpConn *c, const Step *s, bool bytewise)
{
	size_t len = s->len ? s->len : strlen(s->in), i;

	if (bytewise || (s->flags & STEP_BYTEWISE)) {
		for (i = 0; i < len; i++)
			qmp_send_bytes(c, s->in + i, 1);
	} else {
		qmp_send_bytes(c, s->in, len);
	}
}

/*
 * qmp_mask(), and what differs between two runs of query-chardev: the
 * process's directory (its sockets) and ports the kernel chose.
 */
static char *mask_line(const char *line, const QmpProc *p)
{
	static GRegex *port;
	g_autofree char *masked = qmp_mask(line);
	g_auto(GStrv) parts = g_strsplit(masked, p->dir, -1);
	g_autofree char *nodir = g_strjoinv("DIR", parts);

	if (!port)
		port = g_regex_new("127\\.0\\.0\\.1:\\d+", 0, 0, NULL);
	return g_regex_replace_literal(port, nodir, -1, 0, "127.0.0.1:PORT", 0,
				       NULL);
}

/* Play @steps on a fresh @binary; return the masked output lines. */
static GPtrArray *play(const char *binary, const Transcript *t)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	QmpProc *p = qmp_proc_start(binary, t->args);
	QmpConn *c = qmp_conn_open(p->sock);
	const Step *s;
	char *line;
	int n = 0;

	line = qmp_recv_line(c, QMP_TIMEOUT_MS);
	g_assert_nonnull(line);
	g_ptr_array_add(out, mask_line(line, p));
	g_free(line);
	for (s = t->steps; s->in; s++) {
		g_autofree char *sync =
			g_strdup_printf("{\"execute\":\"query-name\",\"id\":\"sync%d\"}",
					n++);
		g_autofree char *tag =
			g_strdup_printf("\"id\": \"sync%d\"", n - 1);

		send_step(c, s, t->bytewise);
		if (s->flags & STEP_NOSYNC) {
			while ((line = qmp_recv_line(c, 2000))) {
				g_ptr_array_add(out, mask_line(line, p));
				g_free(line);
			}
			g_ptr_array_add(out, g_strdup(qmp_conn_eof(c, 100) ?
							      "<EOF>" :
							      "<open>"));
			continue;
		}
		qmp_send(c, sync);
		while ((line = qmp_recv_line(c, QMP_TIMEOUT_MS))) {
			bool done = strstr(line, tag) != NULL;

			g_ptr_array_add(out, mask_line(line, p));
			g_free(line);
			if (done)
				break;
		}
		g_assert_nonnull(line);
	}
	qmp_conn_free(c);
	qmp_proc_free(p);
	return out;
}

static void compare(GPtrArray *want, GPtrArray *got)
{
	guint i;

	for (i = 0; i < MIN(want->len, got->len); i++) {
		if (strcmp(want->pdata[i], got->pdata[i])) {
			g_test_message("line %u\n  qemu:   %s\n  kvmage: %s", i,
				       (char *)want->pdata[i],
				       (char *)got->pdata[i]);
			g_test_fail();
			return;
		}
	}
	if (want->len != got->len) {
		g_test_message("qemu sent %u lines, kvmage %u", want->len,
			       got->len);
		g_test_fail();
	}
}

static void test_transcript(gconstpointer data)
{
	const Transcript *t = data;
	g_autoptr(GPtrArray) want = play(qmp_qemu_binary(), t);
	g_autoptr(GPtrArray) got = play(qmp_test_binary(), t);

	compare(want, got);
}

/* A limit and the error cascade after it, as separate transcripts. */
static void test_limit(gconstpointer data)
{
	const char *which = data;
	GString *in = g_string_new(NULL);
	Step steps[3] = { CAPS, { NULL }, END };
	Transcript t = { which, { NULL }, steps };
	g_autoptr(GPtrArray) want = NULL, got = NULL;
	int i;

	if (!strcmp(which, "nesting")) {
		for (i = 0; i < 1100; i++)
			g_string_append_c(in, '[');
		for (i = 0; i < 1100; i++)
			g_string_append_c(in, ']');
	} else if (!strcmp(which, "tokens")) {
		g_string_append_c(in, '[');
		for (i = 0; i < (1 << 20) + 8; i++)
			g_string_append(in, "0,");
		g_string_append(in, "0]");
	} else {
		g_string_append(in, "{\"execute\":\"query-name\",\"id\":\"");
		gsize prefix = in->len;

		g_string_set_size(in, (64u << 20) + 16);
		memset(in->str + prefix, 'x', in->len - prefix);
		g_string_append(in, "\"}");
	}
	steps[1].in = in->str;
	steps[1].len = in->len;
	want = play(qmp_qemu_binary(), &t);
	got = play(qmp_test_binary(), &t);
	compare(want, got);
	g_string_free(in, TRUE);
}

/* ---- random inputs: JSON-ish fragments, both servers in lockstep ---- */

static const char *const fragments[] = {
	"{",
	"}",
	"[",
	"]",
	":",
	",",
	"\"",
	"'",
	"\\",
	"u",
	"0",
	"1",
	"9",
	"-",
	"+",
	".",
	"e",
	"E",
	"true",
	"null",
	"fals",
	"\"execute\"",
	"\"query-name\"",
	"\"id\"",
	"\"arguments\"",
	" ",
	"\n",
	"\t",
	"\x1f",
	"\x7f",
	"\xc3\xa9",
	"\xc0",
	"\x80",
	"\xed\xa0\x80",
	"\xfe",
	"a",
	"Z",
	"\\u00",
	"\\ud83d",
	"\\ude00",
	"%",
	"\"exec-oob\"",
	"\"enable\"",
	"1\xc3",
	"12",
	"1.",
	".5",
	"e5",
	"\\\"",
	"\\'",
	"[[",
	"]]",
	"{\"a\":",
	"\"x\"}",
	"\xf0\x9f\x98\x80",
	"\xf8\x88\x80\x80\x80",
	"\xef\xbf\xbe",
	"\xf4\x90\x80\x80",
};

/* Send @in, then 0xFF (resynchronise) and a sync command; read replies. */
static GPtrArray *exchange(QmpConn *c, const GString *in, int n)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *sync =
		g_strdup_printf("\xff{\"execute\":\"query-name\",\"id\":\"r%d\"}",
				n);
	g_autofree char *tag = g_strdup_printf("\"id\": \"r%d\"", n);
	char *line;

	qmp_send_bytes(c, in->str, in->len);
	qmp_send(c, sync);
	while ((line = qmp_recv_line(c, QMP_TIMEOUT_MS))) {
		bool done = strstr(line, tag) != NULL;

		g_ptr_array_add(out, qmp_mask(line));
		g_free(line);
		if (done)
			break;
	}
	g_assert_nonnull(line);
	return out;
}

static void test_random(void)
{
	const char *env = g_getenv("QMP_DIFF_RANDOM");
	int i, j, n = env ? atoi(env) : 1000;
	QmpProc *pq = qmp_proc_start(qmp_qemu_binary(), NULL);
	QmpProc *pk = qmp_proc_start(qmp_test_binary(), NULL);
	QmpConn *q = qmp_conn_negotiated(pq->sock);
	QmpConn *k = qmp_conn_negotiated(pk->sock);
	const char *seed = g_getenv("QMP_DIFF_SEED");
	GRand *rnd = g_rand_new_with_seed(seed ? atoi(seed) : 20260522);
	GString *in = g_string_new(NULL);

	for (i = 0; i < n && !g_test_failed(); i++) {
		g_autoptr(GPtrArray) want = NULL, got = NULL;
		int len = g_rand_int_range(rnd, 1, 21);

		g_string_truncate(in, 0);
		for (j = 0; j < len; j++)
			g_string_append(in,
					fragments
						[g_rand_int_range(rnd, 0,
								  G_N_ELEMENTS(
									  fragments))]);
		want = exchange(q, in, i);
		got = exchange(k, in, i);
		compare(want, got);
		if (g_test_failed()) {
			g_autofree char *esc = g_strescape(in->str, NULL);

			g_test_message("input %d: \"%s\"", i, esc);
		}
	}
	g_string_free(in, TRUE);
	g_rand_free(rnd);
	qmp_conn_free(q);
	qmp_conn_free(k);
	qmp_proc_free(pq);
	qmp_proc_free(pk);
}

int main(int argc, char **argv)
{
	bool tap = argc > 1 && !strcmp(argv[1], "--tap");
	guint i;

	g_test_init(&argc, &argv, NULL);
	if (!qmp_qemu_binary()) {
		/* meson's TAP runner counts exit 77 as an error: skip plan, 0 */
		printf("1..0 # SKIP qemu-system-x86_64 is not installed "
		       "(sudo make check-setup installs it)\n");
		return tap ? 0 : 77;
	}
	for (i = 0; i < G_N_ELEMENTS(transcripts); i++) {
		g_autofree char *path =
			g_strdup_printf("/qmp-diff/%s", transcripts[i].name);

		g_test_add_data_func(path, &transcripts[i], test_transcript);
	}
	g_test_add_data_func("/qmp-diff/limit/nesting", "nesting", test_limit);
	g_test_add_data_func("/qmp-diff/limit/tokens", "tokens", test_limit);
	/* QEMU needs about four minutes to lex 64 MiB: opt-in */
	if (g_getenv("QMP_DIFF_SLOW"))
		g_test_add_data_func("/qmp-diff/limit/size", "size",
				     test_limit);
	g_test_add_func("/qmp-diff/schema", qmp_diff_test_schema);
	g_test_add_func("/qmp-diff/random", test_random);
	return g_test_run();
}
