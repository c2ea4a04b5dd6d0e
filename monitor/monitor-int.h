/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Monitor internals shared by monitor.c, qmp-opts.c and qmp-cmds.c.
 * Locking: main thread only.
 */
#ifndef MONITOR_MONITOR_INT_H
#define MONITOR_MONITOR_INT_H

#include <stdbool.h>
#include <sys/stat.h>
#include <glib.h>

typedef enum {
	MON_STDIO,
	MON_UNIX,
	MON_TCP,
} MonitorKind;

/* One configured monitor endpoint (-qmp, or -chardev + -mon). */
typedef struct MonitorConfig {
	char *id;     /* chardev id, NULL for -qmp */
	char *opt;    /* the option text, for messages */
	char *label;  /* query-chardev: the id, or compat_monitorN for -qmp */
	unsigned seq; /* creation order of -qmp and -chardev, as in QEMU */
	MonitorKind kind;
	char *path; /* MON_UNIX */
	char *host; /* MON_TCP */
	char *port; /* MON_TCP */
	bool server;
	bool wait;
	bool pretty;
} MonitorConfig;

typedef struct MonitorClient MonitorClient;
typedef struct MonitorServer MonitorServer;

void monitor_config_free(MonitorConfig *cfg);

/* Open @cfg: listen (server=on), connect, or attach to stdio. */
bool monitor_open(MonitorConfig *cfg, GError **errp);

/* The client whose command is being dispatched, or NULL. */
MonitorClient *monitor_cur_client(void);
bool monitor_client_negotiating(MonitorClient *c);
void monitor_client_negotiated(MonitorClient *c, bool oob);

/*
 * socket.c: non-blocking, close-on-exec descriptors, or -1 and @errp.
 * monitor_unix_listen() replaces a stale socket file at @path but fails
 * on one a process listens on; it stores the new file's identity in
 * *@bound for monitor_unix_unlink(), which removes @path only if it is
 * still that file.
 */
int monitor_unix_listen(const char *path, struct stat *bound, GError **errp);
void monitor_unix_unlink(const char *path, const struct stat *bound);

/* Who can reach a listening TCP socket. */
typedef enum {
	MON_REACH_LOOPBACK, /* this host only: 127.0.0.0/8, ::1 */
	MON_REACH_ALL,	    /* the wildcard address: every interface */
	MON_REACH_NETWORK,  /* one address that is not loopback */
	MON_REACH_UNKNOWN,  /* getsockname() failed */
} MonitorReach;

/* Classify listening socket @fd; *@addr: "HOST:PORT" or NULL, free it. */
MonitorReach monitor_tcp_reach(int fd, char **addr);
int monitor_unix_connect(const char *path, GError **errp);
int monitor_tcp_listen(const char *host, const char *port, GError **errp);
int monitor_tcp_connect(const char *host, const char *port, GError **errp);

/* The opened monitors (MonitorServer *) in opening order, or NULL. */
GPtrArray *monitor_servers(void);
const MonitorConfig *monitor_server_config(const MonitorServer *s);
/* The listening socket of a server=on monitor, else -1. */
int monitor_server_listen_fd(const MonitorServer *s);
/* The socket of the oldest connected client of @s, or -1 (none, stdio). */
int monitor_server_conn_fd(const MonitorServer *s);

/* Configs collected by monitor_parse_opt(), opened by monitor_init_all(). */
GPtrArray *monitor_configs(void);

#endif
