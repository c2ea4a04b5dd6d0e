/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP servers and clients on GLib's default main context.
 *
 * Every descriptor is non-blocking.  A client's input goes through its
 * own JsonStream; each framed message is dispatched at once and the
 * reply appended to the client's output buffer, which is written as far
 * as the socket accepts and otherwise drained by a G_IO_OUT watch.
 *
 * Flow control: while a client has more than OUT_HIGH bytes of unsent
 * replies, its input is not read, so a client that floods commands but
 * never reads answers stalls only itself.  Events are not held back; a
 * client whose backlog exceeds OUT_MAX is disconnected.  A client that
 * goes away mid-message just loses its partial input.
 *
 * Clients are never freed inside a callback that may still use them:
 * client_kill() detaches a client and a low-priority idle frees it.
 *
 * Locking: main thread only (see monitor_event_emit() for the exception).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib-unix.h>

#include "monitor/monitor.h"
#include "monitor-int.h"
#include "qmp-version.h"
#include "qapi/json-stream.h"
#include "qapi/qmp-event.h"
#include "qapi-commands.h"
#include "qapi-visit.h"
#include "util/error.h"

#define OUT_HIGH  (64u << 10)
#define OUT_MAX	  (16u << 20)
#define READ_SIZE 4096

struct MonitorServer {
	MonitorConfig *cfg;
	int listen_fd;
	struct stat sock_file; /* MON_UNIX server: the file it created */
	GSource *accept_src;
};

struct MonitorClient {
	MonitorServer *server;
	int in_fd, out_fd;
	bool is_socket;
	bool pretty;
	GSource *in_src, *out_src;
	JsonStream *stream;
	GString *out;
	gsize out_pos;
	bool negotiating, oob;
	bool dead;
};

static struct {
	GPtrArray *servers; /* MonitorServer * */
	GPtrArray *clients; /* MonitorClient * */
	MonitorClient *cur;
	GThread *main_thread;
	guint reap_id;
	bool stdio_used;
	int stdio_flags[2]; /* O_NONBLOCK state of fds 0 and 1 before us */
} mon;

static void client_watch_in(MonitorClient *c);

MonitorClient *monitor_cur_client(void)
{
	return mon.cur;
}

bool monitor_client_negotiating(MonitorClient *c)
{
	return c->negotiating;
}

void monitor_client_negotiated(MonitorClient *c, bool oob)
{
	c->negotiating = false;
	c->oob = oob;
}

unsigned monitor_client_count(void)
{
	return mon.clients ? mon.clients->len : 0;
}

GPtrArray *monitor_servers(void)
{
	return mon.servers;
}

const MonitorConfig *monitor_server_config(const MonitorServer *s)
{
	return s->cfg;
}

int monitor_server_listen_fd(const MonitorServer *s)
{
	return s->listen_fd;
}

int monitor_server_conn_fd(const MonitorServer *s)
{
	guint i;

	/* clients are appended as they connect: the first is the oldest */
	for (i = 0; mon.clients && i < mon.clients->len; i++) {
		MonitorClient *c = mon.clients->pdata[i];

		if (c->server == s && !c->dead && c->is_socket)
			return c->in_fd;
	}
	return -1;
}

static void source_drop(GSource **src)
{
	if (*src) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

static void client_free(MonitorClient *c)
{
	source_drop(&c->in_src);
	source_drop(&c->out_src);
	if (c->is_socket)
		close(c->in_fd);
	json_stream_free(c->stream);
	g_string_free(c->out, TRUE);
	g_free(c);
}

static gboolean reap_dead(gpointer data)
{
	guint i = 0;

	mon.reap_id = 0;
	while (mon.clients && i < mon.clients->len) {
		MonitorClient *c = mon.clients->pdata[i];

		if (c->dead) {
			g_ptr_array_remove_index(mon.clients, i);
			client_free(c);
		} else {
			i++;
		}
	}
	return G_SOURCE_REMOVE;
}

/* Detach @c now, free it later from the main loop. */
static void client_kill(MonitorClient *c)
{
	if (c->dead)
		return;
	c->dead = true;
	source_drop(&c->in_src);
	source_drop(&c->out_src);
	if (!mon.reap_id)
		mon.reap_id =
			g_idle_add_full(G_PRIORITY_LOW, reap_dead, NULL, NULL);
}

static gboolean client_writable(int fd, GIOCondition cond, gpointer data);

/* Write what the peer accepts; watch for G_IO_OUT if some is left. */
static void client_flush(MonitorClient *c)
{
	ssize_t n;

	while (!c->dead && c->out_pos < c->out->len) {
		const char *p = c->out->str + c->out_pos;
		size_t len = c->out->len - c->out_pos;

		if (c->is_socket)
			n = send(c->out_fd, p, len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			n = write(c->out_fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->out_src) {
				c->out_src = g_unix_fd_source_new(c->out_fd,
								  G_IO_OUT);
				g_source_set_callback(c->out_src,
						      G_SOURCE_FUNC(
							      client_writable),
						      c, NULL);
				g_source_attach(c->out_src, NULL);
			}
			return;
		}
		if (n <= 0) {
			client_kill(c);
			return;
		}
		c->out_pos += n;
	}
	g_string_truncate(c->out, 0);
	c->out_pos = 0;
	source_drop(&c->out_src);
	if (!c->dead && !c->in_src && c->in_fd >= 0)
		client_watch_in(c);
}

static gboolean client_writable(int fd, GIOCondition cond, gpointer data)
{
	MonitorClient *c = data;

	/* client_flush() drops this source once the buffer is empty */
	client_flush(c);
	return G_SOURCE_CONTINUE;
}

/* Queue one message: QEMU ends each with "\r\n". */
static void client_queue(MonitorClient *c, JsonNode *msg)
{
	gsize start = c->out->len, i;

	if (c->dead)
		return;
	qjson_append(c->out, msg, c->pretty);
	if (c->pretty) {
		GString *tmp = g_string_new(NULL);

		for (i = start; i < c->out->len; i++) {
			if (c->out->str[i] == '\n')
				g_string_append_c(tmp, '\r');
			g_string_append_c(tmp, c->out->str[i]);
		}
		g_string_truncate(c->out, start);
		g_string_append_len(c->out, tmp->str, tmp->len);
		g_string_free(tmp, TRUE);
	}
	g_string_append(c->out, "\r\n");
}

static void client_handle(void *opaque, JsonNode *msg, GError *err)
{
	MonitorClient *c = opaque;
	JsonNode *rsp;

	if (c->dead) {
		rsp = NULL;
	} else if (err) {
		rsp = qmp_error_response(err);
	} else {
		mon.cur = c;
		rsp = qmp_dispatch(&qmp_commands, msg, c->negotiating,
				   c->oob && !c->negotiating);
		mon.cur = NULL;
	}
	if (rsp) {
		client_queue(c, rsp);
		json_node_unref(rsp);
	}
	if (msg)
		json_node_unref(msg);
	if (err)
		g_error_free(err);
}

static gboolean client_readable(int fd, GIOCondition cond, gpointer data)
{
	MonitorClient *c = data;
	char buf[READ_SIZE];
	ssize_t n;

	n = read(c->in_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		if (c->is_socket) {
			client_kill(c);
		} else {
			/* stdin closed: keep sending replies and events */
			source_drop(&c->in_src);
			c->in_fd = -1;
		}
		return G_SOURCE_REMOVE;
	}
	json_stream_feed(c->stream, buf, n);
	client_flush(c);
	if (c->dead)
		return G_SOURCE_REMOVE;
	if (c->out->len - c->out_pos > OUT_HIGH) {
		/* flow control: resume from client_flush() */
		source_drop(&c->in_src);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void client_watch_in(MonitorClient *c)
{
	c->in_src =
		g_unix_fd_source_new(c->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(c->in_src, G_SOURCE_FUNC(client_readable), c,
			      NULL);
	g_source_attach(c->in_src, NULL);
}

static JsonNode *greeting_new(void)
{
	JsonObject *top, *qmp;
	JsonArray *caps;
	JsonNode *node = qjson_new_object(&top);
	VersionInfo *ver = monitor_version_info();

	json_object_set_member(top, "QMP", qjson_new_object(&qmp));
	json_object_set_member(qmp, "version", qapi_out_VersionInfo(ver));
	qapi_free_VersionInfo(ver);
	json_object_set_member(qmp, "capabilities", qjson_new_array(&caps));
	json_array_add_string_element(caps, "oob");
	return node;
}

static void client_new(MonitorServer *s, int in_fd, int out_fd, bool is_socket)
{
	MonitorClient *c = g_new0(MonitorClient, 1);
	g_autoptr(JsonNode) hello = greeting_new();

	c->server = s;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->is_socket = is_socket;
	c->pretty = s->cfg->pretty;
	c->negotiating = true;
	c->out = g_string_new(NULL);
	c->stream = json_stream_new(client_handle, c);
	g_ptr_array_add(mon.clients, c);
	client_queue(c, hello);
	client_watch_in(c);
	client_flush(c);
}

static gboolean server_accept(int fd, GIOCondition cond, gpointer data)
{
	MonitorServer *s = data;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			g_warning("monitor: accept on %s: %s", s->cfg->opt,
				  g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	client_new(s, cfd, cfd, true);
	return G_SOURCE_CONTINUE;
}

static JsonNode *event_new(const char *name, JsonNode *data)
{
	JsonObject *ev, *ts;
	JsonNode *node = qjson_new_object(&ev);
	gint64 now = g_get_real_time();

	json_object_set_member(ev, "timestamp", qjson_new_object(&ts));
	json_object_set_member(ts, "seconds",
			       qjson_new_int(now / G_USEC_PER_SEC));
	json_object_set_member(ts, "microseconds",
			       qjson_new_int(now % G_USEC_PER_SEC));
	json_object_set_member(ev, "event", qjson_new_string(name));
	if (data)
		json_object_set_member(ev, "data", data);
	return node;
}

static void event_deliver(JsonNode *ev)
{
	guint i;

	for (i = 0; mon.clients && i < mon.clients->len; i++) {
		MonitorClient *c = mon.clients->pdata[i];

		if (c->dead || c->negotiating)
			continue;
		if (c->out->len - c->out_pos > OUT_MAX) {
			g_warning("monitor: client on %s does not read its "
				  "events, disconnecting it",
				  c->server->cfg->opt);
			client_kill(c);
			continue;
		}
		client_queue(c, ev);
		client_flush(c);
	}
}

static gboolean event_deliver_cb(gpointer data)
{
	event_deliver(data);
	return G_SOURCE_REMOVE;
}

void monitor_event_emit(const char *name, JsonNode *data)
{
	JsonNode *ev = event_new(name, data);

	if (mon.main_thread && g_thread_self() != mon.main_thread) {
		g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT,
					   event_deliver_cb, ev,
					   (GDestroyNotify)json_node_unref);
		return;
	}
	event_deliver(ev);
	json_node_unref(ev);
}

/* wait=on: block until the first client connects, as QEMU does. */
static bool server_wait(MonitorServer *s, GError **errp)
{
	struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };
	int fd;

	fprintf(stderr, "kvmage: %s: waiting for connection\n", s->cfg->opt);
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			error_setg_errno(errp, errno, "%s: poll", s->cfg->opt);
			return false;
		}
		fd = accept4(s->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno != EAGAIN && errno != EINTR) {
			error_setg_errno(errp, errno, "%s: accept",
					 s->cfg->opt);
			return false;
		}
	}
	client_new(s, fd, fd, true);
	return true;
}

/*
 * QMP has no authentication: say so, once per monitor, when a TCP
 * monitor can be reached from other hosts.
 */
static void server_warn_reach(MonitorServer *s)
{
	g_autofree char *addr = NULL;
	MonitorReach r = monitor_tcp_reach(s->listen_fd, &addr);

	if (r == MON_REACH_LOOPBACK || r == MON_REACH_UNKNOWN)
		return;
	fprintf(stderr,
		"kvmage: warning: %s: the monitor listens on %s%s: it is "
		"reachable from the network and unauthenticated (anyone "
		"who can connect controls the VM)\n",
		s->cfg->opt, addr ? addr : "?",
		r == MON_REACH_ALL ? ", every interface" :
				     ", not a loopback address");
}

static bool server_start(MonitorServer *s, GError **errp)
{
	MonitorConfig *cfg = s->cfg;
	int fd;

	if (cfg->kind == MON_STDIO) {
		if (mon.stdio_used) {
			error_setg(errp, "cannot use stdio by multiple "
					 "character devices");
			return false;
		}
		/* restored by monitor_cleanup(): the terminal is shared */
		mon.stdio_flags[0] = fcntl(0, F_GETFL);
		mon.stdio_flags[1] = fcntl(1, F_GETFL);
		mon.stdio_used = true;
		if (!g_unix_set_fd_nonblocking(0, TRUE, NULL) ||
		    !g_unix_set_fd_nonblocking(1, TRUE, NULL)) {
			error_setg(errp, "%s: cannot make stdio non-blocking",
				   cfg->opt);
			return false;
		}
		signal(SIGPIPE, SIG_IGN);
		client_new(s, 0, 1, false);
		return true;
	}
	if (!cfg->server) {
		fd = cfg->kind == MON_UNIX ?
			     monitor_unix_connect(cfg->path, errp) :
			     monitor_tcp_connect(cfg->host, cfg->port, errp);
		if (fd < 0)
			return false;
		client_new(s, fd, fd, true);
		return true;
	}
	s->listen_fd =
		cfg->kind == MON_UNIX ?
			monitor_unix_listen(cfg->path, &s->sock_file, errp) :
			monitor_tcp_listen(cfg->host, cfg->port, errp);
	if (s->listen_fd < 0)
		return false;
	if (cfg->kind == MON_TCP)
		server_warn_reach(s);
	if (cfg->wait && !server_wait(s, errp))
		return false;
	s->accept_src = g_unix_fd_source_new(s->listen_fd, G_IO_IN);
	g_source_set_callback(s->accept_src, G_SOURCE_FUNC(server_accept), s,
			      NULL);
	g_source_attach(s->accept_src, NULL);
	return true;
}

bool monitor_open(MonitorConfig *cfg, GError **errp)
{
	MonitorServer *s = g_new0(MonitorServer, 1);

	if (!mon.servers) {
		mon.servers = g_ptr_array_new();
		mon.clients = g_ptr_array_new();
		mon.main_thread = g_thread_self();
		qapi_event_set_emitter(monitor_event_emit);
	}
	s->cfg = cfg;
	s->listen_fd = -1;
	g_ptr_array_add(mon.servers, s);
	if (!server_start(s, errp)) {
		g_prefix_error(errp, "%s: ", cfg->opt);
		return false;
	}
	return true;
}

/* Write out pending replies, waiting until @deadline (monotonic us). */
static void client_drain(MonitorClient *c, gint64 deadline)
{
	struct pollfd pfd = { .fd = c->out_fd, .events = POLLOUT };
	gint64 left;

	client_flush(c);
	while (!c->dead && c->out->len > c->out_pos) {
		left = (deadline - g_get_monotonic_time()) / 1000;
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return;
		client_flush(c);
	}
}

void monitor_cleanup(int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;
	guint i;

	if (!mon.servers)
		return;
	for (i = 0; i < mon.clients->len; i++)
		client_drain(mon.clients->pdata[i], deadline);
	for (i = 0; i < mon.clients->len; i++)
		client_free(mon.clients->pdata[i]);
	for (i = 0; i < mon.servers->len; i++) {
		MonitorServer *s = mon.servers->pdata[i];

		source_drop(&s->accept_src);
		if (s->listen_fd >= 0) {
			close(s->listen_fd);
			if (s->cfg->kind == MON_UNIX)
				monitor_unix_unlink(s->cfg->path,
						    &s->sock_file);
		}
		g_free(s);
	}
	if (mon.reap_id)
		g_source_remove(mon.reap_id);
	for (i = 0; mon.stdio_used && i < 2; i++) {
		if (mon.stdio_flags[i] >= 0 &&
		    fcntl(i, F_SETFL, mon.stdio_flags[i]) < 0)
			g_warning("monitor: cannot restore flags of fd %u: %s",
				  i, g_strerror(errno));
	}
	g_ptr_array_free(mon.clients, TRUE);
	g_ptr_array_free(mon.servers, TRUE);
	memset(&mon, 0, sizeof(mon));
}
