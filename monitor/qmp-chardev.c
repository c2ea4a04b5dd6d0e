/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-chardev: the character devices of the monitors, labelled and
 * described as QEMU 7.2 does it (see ChardevInfo in qapi/char.json).
 *
 * The filename of a socket comes from the socket itself (getsockname(),
 * getpeername()), so it names the address really bound: the port the
 * kernel chose for port 0, the numeric address of a host name.
 *
 * Locking: main thread only.
 */
#include <netdb.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "monitor-int.h"
#include "qapi-commands.h"

/* "HOST:PORT" of @sa, numeric; IPv6 hosts in brackets if @brackets. */
static char *sockaddr_to_str(const struct sockaddr_storage *sa, socklen_t len,
			     bool brackets)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	bool v6 = sa->ss_family == AF_INET6 && brackets;

	if (getnameinfo((const struct sockaddr *)sa, len, host, sizeof(host),
			serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV))
		return g_strdup("?:?");
	return g_strdup_printf("%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
			       serv);
}

/* A connected socket: "unix:PATH[,server=on]" or "tcp:A <-> B". */
static char *conn_filename(const MonitorConfig *cfg, int fd)
{
	const char *server = cfg->server ? ",server=on" : "";
	struct sockaddr_storage local = { 0 }, peer = { 0 };
	socklen_t llen = sizeof(local), plen = sizeof(peer);
	g_autofree char *l = NULL, *p = NULL;

	/* on failure the zeroed address prints as "unix:" or "?:?" */
	getsockname(fd, (struct sockaddr *)&local, &llen);
	if (cfg->kind == MON_UNIX) {
		const struct sockaddr_un *sun = (struct sockaddr_un *)&local;
		size_t n =
			llen > offsetof(struct sockaddr_un, sun_path) ?
				llen - offsetof(struct sockaddr_un, sun_path) :
				0;

		/* an unbound client socket has no path: "unix:" */
		return g_strdup_printf("unix:%.*s%s",
				       (int)strnlen(sun->sun_path, n),
				       sun->sun_path, server);
	}
	getpeername(fd, (struct sockaddr *)&peer, &plen);
	l = sockaddr_to_str(&local, llen, true);
	p = sockaddr_to_str(&peer, plen, true);
	return g_strdup_printf("tcp:%s%s <-> %s", l, server, p);
}

/* No client: the listening address, or the address to connect to. */
static char *idle_filename(const MonitorConfig *cfg, int listen_fd)
{
	struct sockaddr_storage sa = { 0 };
	socklen_t len = sizeof(sa);
	g_autofree char *addr = NULL;

	if (cfg->kind == MON_UNIX)
		return g_strdup_printf("disconnected:unix:%s%s", cfg->path,
				       cfg->server ? ",server=on" : "");
	if (listen_fd < 0)
		return g_strdup_printf("disconnected:tcp:%s:%s", cfg->host,
				       cfg->port);
	if (getsockname(listen_fd, (struct sockaddr *)&sa, &len) < 0)
		addr = g_strdup_printf("%s:%s", cfg->host, cfg->port);
	else
		addr = sockaddr_to_str(&sa, len, false);
	return g_strdup_printf("disconnected:tcp:%s,server=on", addr);
}

static char *chardev_filename(const MonitorServer *s)
{
	const MonitorConfig *cfg = monitor_server_config(s);
	int fd;

	if (cfg->kind == MON_STDIO)
		return g_strdup("stdio");
	fd = monitor_server_conn_fd(s);
	if (fd >= 0)
		return conn_filename(cfg, fd);
	return idle_filename(cfg, monitor_server_listen_fd(s));
}

static int by_seq(gconstpointer a, gconstpointer b)
{
	const MonitorConfig *x = monitor_server_config(*(MonitorServer **)a);
	const MonitorConfig *y = monitor_server_config(*(MonitorServer **)b);

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * QEMU keeps its chardevs in a GHashTable keyed by label, filled in
 * command-line order, and builds the reply by prepending while it walks
 * the table.  Doing the same gives the same order with the same GLib.
 */
bool qmp_query_chardev(ChardevInfoList **ret, GError **errp)
{
	GPtrArray *servers = monitor_servers();
	g_autoptr(GPtrArray) sorted = g_ptr_array_new();
	g_autoptr(GHashTable)
		by_label = g_hash_table_new(g_str_hash, g_str_equal);
	ChardevInfoList *list = NULL, *e;
	GHashTableIter it;
	gpointer label, s;
	guint i;

	for (i = 0; servers && i < servers->len; i++)
		g_ptr_array_add(sorted, servers->pdata[i]);
	g_ptr_array_sort(sorted, by_seq);
	for (i = 0; i < sorted->len; i++) {
		const MonitorConfig *cfg =
			monitor_server_config(sorted->pdata[i]);

		g_hash_table_insert(by_label, cfg->label, sorted->pdata[i]);
	}
	g_hash_table_iter_init(&it, by_label);
	while (g_hash_table_iter_next(&it, &label, &s)) {
		e = g_new0(ChardevInfoList, 1);
		e->value = g_new0(ChardevInfo, 1);
		e->value->label = g_strdup(label);
		e->value->filename = chardev_filename(s);
		e->value->frontend_open = true;
		e->next = list;
		list = e;
	}
	*ret = list;
	return true;
}
