/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Harness for g_test programs that run the real kvmage binary.
 *
 * meson passes the paths in the environment:
 *   KVMAGE_BINARY            the kvmage executable
 *   KVMAGE_GUEST_<NAME>      guest program <name> (upper case, '-' -> '_')
 *
 * Every run has a deadline: on expiry kvmage is killed with SIGKILL and the
 * result says so, so a hung guest fails the test instead of hanging it.
 * Every time-out and wait here (@timeout_ms, @ms) is in this host's
 * milliseconds and scaled by KVMAGE_TEST_TIME_SCALE (../timescale.h).
 * Single-threaded: all runs are driven from the default GMainContext.
 */
#ifndef TESTS_KVM_HARNESS_H
#define TESTS_KVM_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "../timescale.h"

typedef struct HarnessResult {
	char *cmdline;	/* for messages */
	bool timed_out; /* killed by the harness */
	bool exited;	/* exited normally (else killed by a signal) */
	int status;	/* exit status when @exited */
	int term_sig;	/* signal when !@exited */
	double seconds; /* wall time */
	char *out;	/* all of stdout */
	char *err;	/* all of stderr */
} HarnessResult;

typedef struct HarnessProc HarnessProc;

/*
 * g_test_init() plus the checks every kvm test program needs; g_assert_*()
 * failures are made non-fatal so that later tests still run.  When
 * /dev/kvm cannot be opened the whole program is skipped: with --tap it
 * prints the TAP plan "1..0 # SKIP <reason>" and exits 0 (meson's TAP
 * runner treats 77 as an error), otherwise it exits 77.
 */
void harness_init(int *argc, char ***argv);

const char *harness_kvmage(void);
/* Path of guest program @name, or NULL when it was not built. */
const char *harness_guest(const char *name);
/*
 * EDX of CPUID leaf @function as KVM_GET_SUPPORTED_CPUID reports it on
 * this host (what kvmage's -cpu host gives the guest), 0 if KVM has no
 * such leaf.  Fails the test if the ioctl does.
 */
uint32_t harness_kvm_cpuid_edx(uint32_t function);
/* Deadline of harness_run*(), before scaling. */
#define HARNESS_RUN_TIMEOUT_MS 60000
/* Wait until the atomic @counter reaches @n; false after @ms. */
bool harness_wait_counter(gint *counter, int n, unsigned ms);

/*
 * Start kvmage with @args (NULL-terminated, without argv[0]); stdin is
 * closed, stdout and stderr are captured.  Aborts the test if the spawn
 * itself fails.
 */
HarnessProc *harness_spawn(const char *const *args);
/* Wait until stdout or stderr contains @needle; false on exit/timeout. */
bool harness_proc_wait_output(HarnessProc *p, const char *needle,
			      unsigned timeout_ms);
void harness_proc_signal(HarnessProc *p, int sig);
/*
 * Wait for exit and end of output for at most @timeout_ms, killing the
 * process if it is still running then.  Frees @p.
 */
HarnessResult *harness_proc_finish(HarnessProc *p, unsigned timeout_ms);

/* Spawn and finish with the default deadline. */
HarnessResult *harness_runv(const char *const *args);
HarnessResult *harness_run(const char *arg, ...) G_GNUC_NULL_TERMINATED;
/* harness_run("-kernel", @kernel, args...): the common guest run. */
HarnessResult *harness_run_guest(const char *kernel,
				 ...) G_GNUC_NULL_TERMINATED;
void harness_result_free(HarnessResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HarnessResult, harness_result_free)

/* Print the command line and its output as TAP comments. */
void harness_result_dump(const HarnessResult *r);
/* Fail the current test (non-fatally) with a message, dumping the run. */
void harness_fail(const HarnessResult *r, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);
/* Assert a normal exit with @status, dumping the run if not. */
void harness_assert_exit(const HarnessResult *r, int status);

/*
 * Value of @key in the last "guest-report: k=v k2=v2" line of @out that
 * has it, or NULL.  Free with g_free().
 */
char *harness_report_get(const char *out, const char *key);
/* Lines of @text that contain @needle, in order. */
GPtrArray *harness_grep(const char *text, const char *needle);

/* Fetch guest program @name or skip the current test; evaluates to it. */
#define HARNESS_GUEST_OR_SKIP(var, name)                                   \
	do {                                                               \
		(var) = harness_guest(name);                               \
		if (!(var)) {                                              \
			g_test_skip("guest program '" name "' not built"); \
			return;                                            \
		}                                                          \
	} while (0)

#endif
