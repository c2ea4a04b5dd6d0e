/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmage-qmp: a small QMP client in the spirit of QEMU's qmp-shell.
 *
 *   kvmage-qmp [-p] [-e] SOCKET                      interactive prompt
 *   kvmage-qmp [-p] [-e] SOCKET COMMAND [KEY=VALUE...]
 *   kvmage-qmp [-p] [-e] SOCKET '{"execute": ...}'
 *
 * SOCKET is a unix socket path or HOST:PORT.  VALUEs are JSON when they
 * parse as JSON (numbers, true/false/null, [..], {..}, "..."), strings
 * otherwise.  Exit status: 0 for a "return", 1 for an "error" reply, 2
 * for usage or connection problems, and for a JSON request that ends
 * inside a value (it is not sent: the server would wait for the rest).
 * At the prompt a JSON request may span lines.  The prompt keeps its
 * history in $HOME/.kvmage-qmp_history; "history" lists it, "!N" repeats
 * entry N.
 *
 * Single-threaded; no shared state.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qapi/json-stream.h"
#include "qapi/qjson.h"

typedef struct Client {
	int fd;
	JsonStream *stream;
	GQueue msgs; /* JsonNode *, parsed replies and events */
	bool pretty;
	bool events;
	bool eof;
} Client;

static void on_message(void *opaque, JsonNode *msg, GError *err)
{
	Client *c = opaque;

	if (err) {
		fprintf(stderr, "kvmage-qmp: bad reply: %s\n", err->message);
		g_error_free(err);
		return;
	}
	g_queue_push_tail(&c->msgs, msg);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "kvmage-qmp: socket path too long\n");
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fprintf(stderr, "kvmage-qmp: %s: %s\n", path,
			g_strerror(errno));
	return fd;
}

static int connect_tcp(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	g_autofree char *host = g_strndup(addr, colon - addr);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, rc;

	rc = getaddrinfo(*host ? host : "127.0.0.1", colon + 1, &hints, &res);
	if (rc) {
		fprintf(stderr, "kvmage-qmp: %s: %s\n", addr, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "kvmage-qmp: %s: cannot connect\n", addr);
	return fd;
}

/* Read once from the socket into the message queue. */
static bool client_read(Client *c)
{
	char buf[65536];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0) {
		c->eof = true;
		return false;
	}
	json_stream_feed(c->stream, buf, n);
	return true;
}

static void print_node(Client *c, JsonNode *n, FILE *out)
{
	g_autofree char *s = qjson_to_string(n, c->pretty);

	fprintf(out, "%s\n", s);
}

static bool is_event(JsonNode *n)
{
	return JSON_NODE_HOLDS_OBJECT(n) &&
	       json_object_has_member(json_node_get_object(n), "event");
}

/* Wait for the next non-event message; print events if asked. */
static JsonNode *client_reply(Client *c)
{
	JsonNode *n;

	for (;;) {
		while ((n = g_queue_pop_head(&c->msgs))) {
			if (!is_event(n))
				return n;
			if (c->events)
				print_node(c, n, stdout);
			json_node_unref(n);
		}
		if (!client_read(c))
			return NULL;
	}
}

static bool send_all(Client *c, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;

	while (len) {
		n = send(c->fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		s += n;
		len -= n;
	}
	return true;
}

static void drop_message(void *opaque, JsonNode *msg, GError *err)
{
	if (msg)
		json_node_unref(msg);
	if (err)
		g_error_free(err);
}

/*
 * Does @text end inside a JSON value (an open '{', '[' or string)?  Sent
 * as is, the server would wait for the rest and the client for a reply.
 */
static bool json_incomplete(const char *text)
{
	JsonStream *s = json_stream_new(drop_message, NULL);
	bool ret;

	json_stream_feed(s, text, strlen(text));
	ret = json_stream_pending(s);
	json_stream_free(s);
	return ret;
}

/* "key=value" words -> {"execute": cmd, "arguments": {...}} */
static char *build_request(char **words, GError **errp)
{
	JsonObject *req, *args = NULL;
	g_autoptr(JsonNode) node = qjson_new_object(&req);
	int i;

	json_object_set_member(req, "execute", qjson_new_string(words[0]));
	for (i = 1; words[i]; i++) {
		char *eq = strchr(words[i], '=');
		JsonNode *v;

		if (!eq || eq == words[i]) {
			g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    "expected KEY=VALUE, got '%s'", words[i]);
			return NULL;
		}
		v = json_parse_string(eq + 1, strlen(eq + 1), NULL);
		if (!v)
			v = qjson_new_string(eq + 1);
		if (!args)
			json_object_set_member(req, "arguments",
					       qjson_new_object(&args));
		*eq = '\0';
		json_object_set_member(args, words[i], v);
		*eq = '=';
	}
	return qjson_to_string(node, false);
}

/* Send one command line; print the reply; return the exit status. */
static int run_command(Client *c, char **words)
{
	g_autofree char *req = NULL;
	g_autoptr(JsonNode) rsp = NULL;
	GError *err = NULL;
	JsonObject *o;

	if (words[0][0] == '{') {
		req = g_strjoinv(" ", words);
		if (json_incomplete(req)) {
			fprintf(stderr,
				"kvmage-qmp: incomplete JSON request, not "
				"sent: '%s' ends inside a value (missing '}', "
				"']' or '\"'?)\n",
				req);
			return 2;
		}
	} else {
		req = build_request(words, &err);
	}
	if (!req) {
		fprintf(stderr, "kvmage-qmp: %s\n", err->message);
		g_error_free(err);
		return 2;
	}
	if (!send_all(c, req) || !(rsp = client_reply(c))) {
		fprintf(stderr, "kvmage-qmp: connection closed\n");
		return 2;
	}
	o = JSON_NODE_HOLDS_OBJECT(rsp) ? json_node_get_object(rsp) : NULL;
	if (o && json_object_has_member(o, "return")) {
		print_node(c, json_object_get_member(o, "return"), stdout);
		return 0;
	}
	if (o && json_object_has_member(o, "error")) {
		JsonObject *e = json_object_get_object_member(o, "error");

		fprintf(stderr, "error: %s: %s\n",
			json_object_get_string_member_with_default(e, "class",
								   "?"),
			json_object_get_string_member_with_default(e, "desc",
								   "?"));
		return 1;
	}
	print_node(c, rsp, stderr);
	return 1;
}

static char *history_path(void)
{
	return g_build_filename(g_get_home_dir(), ".kvmage-qmp_history", NULL);
}

static GPtrArray *history_load(void)
{
	GPtrArray *h = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *path = history_path(), *text = NULL;
	g_auto(GStrv) lines = NULL;
	int i;

	if (g_file_get_contents(path, &text, NULL, NULL)) {
		lines = g_strsplit(text, "\n", -1);
		for (i = 0; lines[i]; i++) {
			if (*lines[i])
				g_ptr_array_add(h, g_strdup(lines[i]));
		}
	}
	return h;
}

static void history_add(GPtrArray *h, const char *line)
{
	g_autofree char *path = history_path();
	FILE *f = fopen(path, "a");

	g_ptr_array_add(h, g_strdup(line));
	if (f) {
		fprintf(f, "%s\n", line);
		fclose(f);
	}
}

/* One prompt line: built-ins, or a command.  Returns false on EOF. */
static bool prompt_line(Client *c, GPtrArray *hist, char *line)
{
	g_auto(GStrv) words = NULL;
	GError *err = NULL;
	guint i;

	g_strstrip(line);
	if (!*line)
		return true;
	if (!strcmp(line, "history")) {
		for (i = 0; i < hist->len; i++)
			printf("%5u  %s\n", i + 1, (char *)hist->pdata[i]);
		return true;
	}
	if (line[0] == '!') {
		i = atoi(line + 1);
		if (i < 1 || i > hist->len) {
			fprintf(stderr, "no history entry %s\n", line + 1);
			return true;
		}
		line = hist->pdata[i - 1];
		printf("%s\n", line);
	}
	if (!g_shell_parse_argv(line, NULL, &words, &err)) {
		fprintf(stderr, "%s\n", err->message);
		g_error_free(err);
		return true;
	}
	history_add(hist, line);
	if (line[0] == '{') {
		g_strfreev(words);
		words = g_new0(char *, 2);
		words[0] = g_strdup(line);
	}
	return run_command(c, words) != 2 || !c->eof;
}

/*
 * Gather a JSON request over several lines: true once *@json holds a
 * whole one (or @line is not JSON), false while more lines must come.
 */
static bool prompt_json(GString *json, const char *line)
{
	if (!json->len && line[strspn(line, " \t")] != '{')
		return true;
	g_string_append(json, line);
	return !json_incomplete(json->str);
}

static int interactive(Client *c)
{
	g_autoptr(GPtrArray) hist = history_load();
	g_autoptr(GString) json = g_string_new(NULL);
	struct pollfd pfd[2] = {
		{ .fd = 0, .events = POLLIN },
		{ .fd = c->fd, .events = POLLIN },
	};
	char *line = NULL;
	size_t cap = 0;
	bool more = true;
	JsonNode *n;

	c->events = true;
	while (more) {
		const char *prompt = json->len ? "...> " : "(kvmage) ";

		printf("%s", prompt);
		fflush(stdout);
		for (;;) {
			if (poll(pfd, 2, -1) < 0 && errno != EINTR)
				goto out;
			if (pfd[1].revents) {
				if (!client_read(c))
					goto out;
				while ((n = g_queue_pop_head(&c->msgs))) {
					printf("\n");
					print_node(c, n, stdout);
					json_node_unref(n);
				}
				printf("%s", prompt);
				fflush(stdout);
			}
			if (pfd[0].revents)
				break;
		}
		if (getline(&line, &cap, stdin) < 0)
			break;
		if (!prompt_json(json, line))
			continue;
		if (json->len) {
			/* one request, one history line */
			g_strdelimit(json->str, "\r\n", ' ');
			more = prompt_line(c, hist, json->str);
			g_string_truncate(json, 0);
		} else {
			more = prompt_line(c, hist, line);
		}
	}
	if (more && json->len) {
		/* end of input in the middle of a request: nothing was sent */
		g_strdelimit(json->str, "\r\n", ' ');
		g_strstrip(json->str);
		printf("\n");
		fprintf(stderr,
			"kvmage-qmp: incomplete JSON request at end of input, "
			"not sent: '%s' ends inside a value (missing '}', ']' "
			"or '\"'?)\n",
			json->str);
		free(line);
		return 2;
	}
out:
	printf("\n");
	free(line);
	return c->eof ? 2 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: kvmage-qmp [-p] [-e] SOCKET|HOST:PORT "
			"[COMMAND [KEY=VALUE...] | JSON]\n"
			"  -p  pretty-print replies\n"
			"  -e  also print events received before the reply\n");
	return 2;
}

int main(int argc, char **argv)
{
	Client c = { .fd = -1 };
	g_autoptr(JsonNode) greeting = NULL, caps = NULL;
	const char *target;
	int i = 1, ret;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-p"))
			c.pretty = true;
		else if (!strcmp(argv[i], "-e"))
			c.events = true;
		else
			return usage();
	}
	if (i >= argc)
		return usage();
	target = argv[i++];
	c.fd = strchr(target, '/') || !strchr(target, ':') ?
		       connect_unix(target) :
		       connect_tcp(target);
	if (c.fd < 0)
		return 2;
	c.stream = json_stream_new(on_message, &c);
	g_queue_init(&c.msgs);
	greeting = client_reply(&c);
	if (!greeting || !send_all(&c, "{\"execute\":\"qmp_capabilities\"}") ||
	    !(caps = client_reply(&c))) {
		fprintf(stderr, "kvmage-qmp: no QMP greeting from %s\n",
			target);
		return 2;
	}
	if (i < argc)
		ret = run_command(&c, argv + i);
	else
		ret = interactive(&c);
	g_queue_clear_full(&c.msgs, (GDestroyNotify)json_node_unref);
	json_stream_free(c.stream);
	close(c.fd);
	return ret;
}
