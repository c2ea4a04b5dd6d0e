/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP monitor: servers on unix/tcp sockets or stdio, any number of
 * clients, each with its own negotiation state, all served from GLib's
 * default GMainContext with non-blocking I/O.
 *
 * Start-up:  monitor_parse_opt() for each -qmp/-chardev/-mon while parsing
 *            the command line, then monitor_init_all() once the machine
 *            exists (it blocks only for a server with wait=on).
 * Shutdown:  monitor_cleanup() flushes pending replies (bounded wait),
 *            closes every connection and removes unix socket files.
 *
 * Locking: everything runs in the main thread, except monitor_event_emit(),
 * which may be called from any thread (other threads' events are handed
 * to the main context and sent from there, in order).
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * Handle one monitor option: @opt is "qmp", "chardev" or "mon" (without
 * the dash), @arg its argument in QEMU's syntax:
 *   -qmp unix:PATH[,server=on|off][,wait=on|off]
 *   -qmp tcp:[HOST]:PORT[,server=on|off][,wait=on|off]  (HOST defaults to
 *        127.0.0.1: loopback unless an address is named; PORT is 1-65535
 *        in decimal, or 0 for a server: any free port)
 *   -qmp stdio
 *   -chardev socket,id=ID,path=PATH|host=HOST,port=PORT[,server=..][,wait=..]
 *   -chardev stdio,id=ID
 *   -mon chardev=ID,mode=control[,pretty=on|off]
 * Returns false with a one-line error naming the option.
 */
bool monitor_parse_opt(const char *opt, const char *arg, GError **errp);

/* True if @opt is one monitor_parse_opt() handles. */
bool monitor_is_opt(const char *opt);

/* Open every configured monitor.  Call once, from the main thread. */
bool monitor_init_all(GError **errp);

/* Flush replies (waiting at most @timeout_ms in total) and close all. */
void monitor_cleanup(int timeout_ms);

/*
 * Send event @name with @data (an object or NULL, ownership taken) to
 * every client that completed capabilities negotiation, stamped with the
 * current time.  Safe from any thread.  The monitor installs it as the
 * QAPI event emitter (qapi_event_set_emitter()) when it opens its first
 * server, so the generated qapi_event_send_<name>() reach it.
 */
void monitor_event_emit(const char *name, JsonNode *data);

/* Number of connected clients (tests, diagnostics). */
unsigned monitor_client_count(void);

#endif
