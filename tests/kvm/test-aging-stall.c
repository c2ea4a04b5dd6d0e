/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * In-guest stall of dirty-log aging (issue 4): the workload guest records
 * the largest TSC gap between two consecutive page touches of a pass
 * (max_gap_ns).  Run it without aging and with dirty-log aging at a 20 ms
 * interval; the scans (KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG in chunks,
 * and the write-protection faults they cause) must not add more than
 * 1 ms to the baseline's largest gap.
 *
 * Thresholds and noise: this host has 2 cores shared with builds and
 * other VMs, and the vCPU thread is not pinned, so a single run of either
 * kind sees preemptions of several milliseconds now and then (measured:
 * 0.1-0.3 ms usually, up to 8 ms sometimes, with and without aging).
 * Each kind therefore runs ROUNDS times, interleaved, and the smallest
 * max gap of each kind is compared ("best of ROUNDS"); when the bound
 * does not hold yet, up to MAX_ROUNDS.  That is a fair bound for aging:
 * a run lasts about 1.5 s, i.e. some 70 scans, so a scan that stalled
 * the vCPU by more than 1 ms would show in every aging run, while host
 * noise only has to miss one run of each kind.  (On the shared host,
 * load about 1.4, best of 3 failed 1 of 7 test runs: all three aging
 * runs had a 1.1-4 ms gap, the harvest thread competing with the vCPU
 * thread for a CPU.  With one core kept busy by a spin loop the best
 * aging run was 0.7-0.9 ms above the baseline: the margin is thin on a
 * loaded host.)  A run with aging also checks over QMP that scans really
 * happened.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "harness.h"

#define ROUNDS	   3
#define MAX_ROUNDS 6
#define STALL_NS   1000000 /* allowed on top of the baseline */

/*
 * A sanitizer build slows kvmage's harvest thread several times over, so
 * the 1 ms bound says nothing about the product there: such a build still
 * runs both kinds and checks the guest and the scans, and reports the
 * gaps, but the bound is asserted by the plain build (make check) only.
 */
#if defined(__SANITIZE_ADDRESS__)
#define STALL_BOUND_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STALL_BOUND_CHECKED 0
#endif
#endif
#ifndef STALL_BOUND_CHECKED
#define STALL_BOUND_CHECKED 1
#endif
#define IVAL_MS	  20
#define MIN_SCANS 10	  /* proof aging ran: about 1 s of 20 ms scans */
#define PASSES	  "25000" /* ~1.5 s of passes over the 4 MiB hot set */
#define WL_APPEND "size=64M hot=4M pattern=hotcold rw=write passes=" PASSES
#define AGING_OBJ                                               \
	"memory-aging,id=age0,memdev=pc.ram,backend=dirty-log," \
	"interval=" G_STRINGIFY(IVAL_MS)

/* Report value @key as an unsigned number; fails the test and gives -1. */
static gint64 report_u64(const HarnessResult *r, const char *key)
{
	g_autofree char *v = harness_report_get(r->out, key);
	char *end = NULL;
	guint64 n;

	if (!v) {
		harness_fail(r, "no guest-report line with %s=", key);
		return -1;
	}
	n = g_ascii_strtoull(v, &end, 10);
	if (end == v || *end) {
		harness_fail(r, "%s=%s is not a number", key, v);
		return -1;
	}
	return n;
}

/*
 * Send qmp_capabilities and query-memory-aging on @path; the "scans" of
 * the reply, or -1 (with a test message) when there is none in 5 s.
 */
static gint64 qmp_aging_scans(const char *path)
{
	static const char cmds[] = "{\"execute\":\"qmp_capabilities\"}\n"
				   "{\"execute\":\"query-memory-aging\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_autoptr(GString) buf = g_string_new(NULL);
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC, scans = -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	const char *s;

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, cmds, strlen(cmds), MSG_NOSIGNAL) !=
		    (ssize_t)strlen(cmds)) {
		g_test_message("qmp %s: %s", path, g_strerror(errno));
		goto out;
	}
	while (!(s = strstr(buf->str, "\"scans\":")) &&
	       g_get_monotonic_time() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char chunk[4096];
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			break;
		g_string_append_len(buf, chunk, n);
	}
	if (s)
		scans = strtoll(s + strlen("\"scans\":"), NULL, 10);
	else
		g_test_message("qmp: no scans in '%s'", buf->str);
out:
	if (fd >= 0)
		close(fd);
	return scans;
}

/*
 * One workload run, with aging when @aging; its max_gap_ns, or -1 after
 * failing the test.  With aging, query the scan count over QMP while the
 * guest runs its passes.
 */
static gint64 stall_run(const char *elf, bool aging, gint64 *scans)
{
	g_autofree char *dir = g_dir_make_tmp("aging-stall-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(dir, "qmp.sock", NULL);
	g_autofree char *qmp =
		g_strdup_printf("unix:%s,server=on,wait=off", sock);
	const char *args[] = { "-m", "96M",	"-nodefaults", "-kernel",
			       elf,  "-append", WL_APPEND,     "-qmp",
			       qmp,  "-object", AGING_OBJ,     NULL };
	g_autoptr(HarnessResult) r = NULL;
	g_autofree char *nspt = NULL;
	HarnessProc *p;
	gint64 gap;

	g_assert_nonnull(dir);
	if (!aging)
		args[9] = NULL; /* no -object */
	p = harness_spawn(args);
	/* the first line comes after start-up, before the fill */
	if (aging && harness_proc_wait_output(p, "workload:", 20000)) {
		g_usleep(1000 * 1000);
		*scans = qmp_aging_scans(sock);
	}
	r = harness_proc_finish(p, harness_timeout_ms());
	g_unlink(sock);
	g_rmdir(dir);
	harness_assert_exit(r, 0);
	if (report_u64(r, "passes") != atoi(PASSES) ||
	    report_u64(r, "corrupt") != 0) {
		harness_fail(r, "the workload did not complete cleanly");
		return -1;
	}
	gap = report_u64(r, "max_gap_ns");
	nspt = harness_report_get(r->out, "ns_per_touch");
	g_test_message("%s: max_gap_ns %" G_GINT64_FORMAT " ns_per_touch %s"
		       " (%.2f s)",
		       aging ? "aging   " : "baseline", gap, nspt, r->seconds);
	return gap;
}

static void test_dirty_log(void)
{
	gint64 best[2] = { G_MAXINT64, G_MAXINT64 }, gap, scans;
	const char *elf;
	int i;

	HARNESS_GUEST_OR_SKIP(elf, "workload");

	for (i = 0; i < MAX_ROUNDS; i++) {
		if (i >= ROUNDS && best[1] < best[0] + STALL_NS)
			break;
		/* alternate the order: neither kind always runs first */
		for (int k = 0; k < 2; k++) {
			bool aging = (i + k) % 2;

			scans = -1;
			gap = stall_run(elf, aging, &scans);
			if (gap < 0)
				return;
			if (aging) {
				g_test_message("aging: %" G_GINT64_FORMAT
					       " scans after ~1 s",
					       scans);
				g_assert_cmpint(scans, >=, MIN_SCANS);
			}
			best[aging] = MIN(best[aging], gap);
		}
	}
	g_test_message("best of %d rounds: baseline %" G_GINT64_FORMAT
		       " ns, dirty-log aging every %d ms %" G_GINT64_FORMAT
		       " ns (+%" G_GINT64_FORMAT " ns)",
		       i, best[0], IVAL_MS, best[1], best[1] - best[0]);
	if (STALL_BOUND_CHECKED)
		g_assert_cmpint(best[1], <, best[0] + STALL_NS);
	else
		g_test_message("sanitizer build: the 1 ms bound is checked by "
			       "the plain build only");
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/kvm/aging-stall/dirty-log", test_dirty_log);
	return g_test_run();
}
