/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny QMP client for tests: start a VMM with a QMP socket, connect,
 * negotiate, send raw bytes or commands, read replies and events.
 *
 * The program started is $KVMAGE_BINARY if set, else the test server
 * meson builds ($QMP_TEST_SERVER).  It gets "-machine none -display none
 * -nodefaults -qmp unix:SOCK,server=on,wait=off" plus the test's
 * arguments, so the same code drives kvmage and QEMU.
 *
 * Replies are read line by line ("\r\n" terminated, as QEMU sends them);
 * events met while waiting for a reply are queued for qmp_event_wait().
 *
 * Every @timeout_ms (and QMP_TIMEOUT_MS) is in this host's milliseconds
 * and scaled by KVMAGE_TEST_TIME_SCALE (../timescale.h) where it is
 * waited for.
 */
#ifndef TESTS_QMP_LIBQMP_H
#define TESTS_QMP_LIBQMP_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "../timescale.h"

#define QMP_TIMEOUT_MS 5000

typedef struct QmpProc {
	GPid pid;
	char *dir;
	char *sock;
	char *out; /* qmp_proc_start_out(): the child's stdout, or NULL */
	bool exited;
	int status;
} QmpProc;

typedef struct QmpConn {
	int fd;
	GString *buf;
	GQueue *events; /* char * lines */
	char *greeting;
} QmpConn;

const char *qmp_test_binary(void);
/* g_spawn child setup: die with the test (PR_SET_PDEATHSIG). */
void qmp_child_setup(gpointer data);
const char *qmp_qemu_binary(void); /* NULL if QEMU is not installed */
/*
 * For tests that run a VM: the workload guest's path, or NULL after
 * printing the skip (a TAP skip plan with --tap) and setting *status to
 * what main() must return (0 under --tap, 77 by hand).  Call before
 * g_test_init(), which removes --tap from argv.
 */
const char *qmp_vm_workload_or_skip(int argc, char **argv, int *status);

/*
 * Start @binary (NULL: qmp_test_binary()) with @args (NULL-terminated),
 * in which "@DIR@" stands for the process's own temporary directory
 * (QmpProc.dir, also where its QMP socket is; emptied by qmp_proc_free()).
 */
QmpProc *qmp_proc_start(const char *binary, const char *const *args);
/* The same with the child's standard output kept in a file (p->out). */
QmpProc *qmp_proc_start_out(const char *binary, const char *const *args);
/* Wait until the child's output holds @text (scaled time-out). */
bool qmp_proc_out_wait(QmpProc *p, const char *text, int timeout_ms);
/*
 * Wait (QMP_TIMEOUT_MS) until @path exists, failing the test if it does
 * not, or if @p (may be NULL) exits first.
 */
void qmp_wait_path(const char *path, QmpProc *p);
/* Wait up to @timeout_ms for exit; true if it exited (status saved). */
bool qmp_proc_wait(QmpProc *p, int timeout_ms);
void qmp_proc_free(QmpProc *p); /* SIGKILL if still running */

/*
 * Run @binary (NULL: qmp_test_binary()) with @args, which must make it
 * exit with status 1 within QMP_TIMEOUT_MS (a VMM still running then is
 * killed and the test fails).  Returns its standard error.
 */
char *qmp_run_refused(const char *binary, const char *const *args);

QmpConn *qmp_conn_open(const char *sock); /* connect only */
QmpConn *qmp_conn_new(const char *sock);  /* connect + read greeting */
QmpConn *qmp_conn_negotiated(const char *sock);
void qmp_conn_free(QmpConn *c);

void qmp_send_bytes(QmpConn *c, const void *data, size_t len);
void qmp_send(QmpConn *c, const char *text);
/* Next line without "\r\n"; NULL on EOF or after @timeout_ms. */
char *qmp_recv_line(QmpConn *c, int timeout_ms);
/* Next line that is not an event (events are queued); asserts. */
char *qmp_recv_reply(QmpConn *c);
/* Send @text and return the reply line. */
char *qmp_cmd_line(QmpConn *c, const char *text);
/* Send @text and return the parsed reply. */
JsonNode *qmp_cmd(QmpConn *c, const char *text);
/* Wait for event @name (queued or new) and return its line. */
char *qmp_event_wait(QmpConn *c, const char *name, int timeout_ms);
/* True if the peer closed the connection within @timeout_ms. */
bool qmp_conn_eof(QmpConn *c, int timeout_ms);

/* Send @cmd, which must succeed; its "return" value (unref it). */
JsonNode *qmp_cmd_return(QmpConn *c, const char *cmd);
/* Send @cmd, which must succeed. */
void qmp_cmd_ok(QmpConn *c, const char *cmd);

/* query-status says "running". */
void qmp_vm_assert_running(QmpConn *c);
/* @p exits with status 0 within @timeout_ms; frees @c and @p. */
void qmp_vm_exit_ok(QmpProc *p, QmpConn *c, int timeout_ms);
/* quit, then qmp_vm_exit_ok(). */
void qmp_vm_quit(QmpProc *p, QmpConn *c, int timeout_ms);

JsonNode *qmp_parse(const char *line);
/* Replace "timestamp" and version numbers so lines can be compared. */
char *qmp_mask(const char *line);

#endif
