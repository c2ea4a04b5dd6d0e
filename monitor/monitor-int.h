/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Monitor internals shared by monitor.c, qmp-opts.c and qmp-cmds.c.
 * Locking: main thread only.
 */
#ifndef MONITOR_MONITOR_INT_H
#define MONITOR_MONITOR_INT_H

#include <stdbool.h>
#include <glib.h>

typedef enum {
	MON_STDIO,
	MON_UNIX,
	MON_TCP,
} MonitorKind;

/* One configured monitor endpoint (-qmp, or -chardev + -mon). */
typedef struct MonitorConfig {
	char *id;  /* chardev id, NULL for -qmp */
	char *opt; /* the option text, for messages */
	MonitorKind kind;
	char *path; /* MON_UNIX */
	char *host; /* MON_TCP */
	char *port; /* MON_TCP */
	bool server;
	bool wait;
	bool pretty;
} MonitorConfig;

typedef struct MonitorClient MonitorClient;

void monitor_config_free(MonitorConfig *cfg);

/* Open @cfg: listen (server=on), connect, or attach to stdio. */
bool monitor_open(MonitorConfig *cfg, GError **errp);

/* The client whose command is being dispatched, or NULL. */
MonitorClient *monitor_cur_client(void);
bool monitor_client_negotiating(MonitorClient *c);
void monitor_client_negotiated(MonitorClient *c, bool oob);

/* socket.c: non-blocking, close-on-exec descriptors, or -1 and @errp. */
int monitor_unix_listen(const char *path, GError **errp);
int monitor_unix_connect(const char *path, GError **errp);
int monitor_tcp_listen(const char *host, const char *port, GError **errp);
int monitor_tcp_connect(const char *host, const char *port, GError **errp);

/* Configs collected by monitor_parse_opt(), opened by monitor_init_all(). */
GPtrArray *monitor_configs(void);

#endif
