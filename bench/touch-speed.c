/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page-touch speed of a guest, as a ratio against a host process doing
 * the same work in the same run.
 *
 * The guest is tests/guest/touch_speed under kvmage (default RAM:
 * anonymous, private, transparent huge pages asked for): it writes one
 * 8-byte word per 4 KiB page of a PAGES-page area, ROUNDS times, from
 * ring 3, and reports ns per touch for round 1 (first touch: the guest's
 * and the host's page faults) and for rounds 2.. (touching mapped
 * pages).  The peer is this process running the same loop on memory set
 * up the way kvmage sets up guest RAM (mmap MAP_PRIVATE|MAP_ANONYMOUS,
 * MADV_HUGEPAGE), timed with CLOCK_MONOTONIC.  After one warm-up run of
 * each, REPS repetitions of each, interleaved; medians and their ratio
 * guest/peer are printed.
 *
 *   bench-touch-speed --kvmage PATH --guest PATH [--pages N]
 *                     [--rounds N] [--reps N]
 *
 * Exit status: 0 done, 1 a run failed, 77 no /dev/kvm or no TSC
 * frequency in the guest (skipped).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

#define PAGE	  4096UL
#define SKIP	  77
#define MAX_REPS  64
#define GUEST_RAM "128M"
/* characters an argument can have and still be printed without quotes */
#define SHELL_SAFE \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-"

typedef struct Figures {
	double ns;	 /* per touch, rounds 2.. */
	double first_ns; /* per touch, round 1 */
} Figures;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The guest's loop (tests/guest/touch_speed.c) in this process. */
static bool peer_run(uint64_t pages, uint64_t rounds, Figures *f)
{
	const uint64_t stride = PAGE / sizeof(uint64_t);
	size_t size = pages * PAGE;
	volatile uint64_t *area;
	double t, rest = 0;

	area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		fprintf(stderr, "touch-speed: mmap: %s\n", strerror(errno));
		return false;
	}
	/* as kvmage's memory-backend-ram; not fatal where THP is off */
	if (madvise((void *)area, size, MADV_HUGEPAGE))
		fprintf(stderr, "touch-speed: MADV_HUGEPAGE: %s\n",
			strerror(errno));
	for (uint64_t r = 0; r < rounds; r++) {
		t = now_ns();
		for (uint64_t i = 0; i < pages; i++)
			area[i * stride] = i + r;
		t = now_ns() - t;
		if (r == 0)
			f->first_ns = t / pages;
		else
			rest += t;
	}
	for (uint64_t i = 0; i < pages; i++) {
		if (area[i * stride] != i + rounds - 1) {
			fprintf(stderr,
				"touch-speed: peer page %" PRIu64
				" lost its write\n",
				i);
			munmap((void *)area, size);
			return false;
		}
	}
	munmap((void *)area, size);
	f->ns = rest / (pages * (rounds - 1));
	return true;
}

/* Value of "key=" in the guest-report line of @out, as a double. */
static bool report_get(const char *out, const char *key, double *v)
{
	g_autofree char *pat = g_strdup_printf(" %s=", key);
	const char *line = strstr(out, "guest-report:");
	g_autofree char *copy = NULL;
	const char *p;
	char *end;

	if (!line)
		return false;
	copy = g_strndup(line, strcspn(line, "\n"));
	p = strstr(copy, pat);
	if (!p)
		return false;
	p += strlen(pat);
	*v = g_ascii_strtod(p, &end);
	return end != p;
}

/* One kvmage run of the guest; 0, 1 (failed) or SKIP. */
static int guest_run(char **argv, Figures *f)
{
	g_autofree char *out = NULL, *err = NULL;
	g_autoptr(GError) gerr = NULL;
	double khz;
	int status;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
			  &err, &status, &gerr)) {
		fprintf(stderr, "touch-speed: %s\n", gerr->message);
		return 1;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		fprintf(stderr, "touch-speed: kvmage failed:\n%s%s", out, err);
		return 1;
	}
	if (!report_get(out, "tsc_khz", &khz) || khz == 0) {
		printf("touch-speed: skip: the guest has no TSC frequency, "
		       "so no ns figures\n");
		return SKIP;
	}
	if (!report_get(out, "ns_per_touch", &f->ns) ||
	    !report_get(out, "first_ns_per_touch", &f->first_ns)) {
		fprintf(stderr, "touch-speed: no figures in:\n%s", out);
		return 1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	g_autofree char *kvmage = NULL, *guest = NULL;
	gint pages = 16384, rounds = 4, reps = 5;
	GOptionEntry opts[] = {
		{ "kvmage", 0, 0, G_OPTION_ARG_FILENAME, &kvmage,
		  "kvmage binary", "PATH" },
		{ "guest", 0, 0, G_OPTION_ARG_FILENAME, &guest,
		  "touch_speed.elf", "PATH" },
		{ "pages", 0, 0, G_OPTION_ARG_INT, &pages,
		  "4 KiB pages touched per round (16384)", "N" },
		{ "rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
		  "rounds, the first is first touch (4)", "N" },
		{ "reps", 0, 0, G_OPTION_ARG_INT, &reps,
		  "repetitions of each (5)", "N" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("");
	g_autoptr(GError) err = NULL;
	g_autofree char *append = NULL, *cmdline = NULL;
	double g[2][MAX_REPS], p[2][MAX_REPS], mg[2], mp[2];
	const char *what[2] = { "touch (rounds 2..)", "first touch" };
	char *gargv[12];
	int fd, rc;

	g_option_context_add_main_entries(ctx, opts, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || !kvmage ||
	    !guest || pages < 1 || pages > 262144 || rounds < 2 || reps < 1 ||
	    reps > MAX_REPS) {
		fprintf(stderr, "touch-speed: bad arguments (--help)\n");
		return 1;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("touch-speed: skip: /dev/kvm: %s\n", strerror(errno));
		return SKIP;
	}
	close(fd);
	append = g_strdup_printf("pages=%d rounds=%d", pages, rounds);
	gargv[0] = kvmage;
	gargv[1] = "-display";
	gargv[2] = "none";
	gargv[3] = "-m";
	gargv[4] = GUEST_RAM;
	gargv[5] = "-kernel";
	gargv[6] = guest;
	gargv[7] = "-append";
	gargv[8] = append;
	gargv[9] = NULL;
	for (int i = 0; gargv[i]; i++) {
		g_autofree char *q = strspn(gargv[i], SHELL_SAFE) ==
						     strlen(gargv[i]) ?
					     g_strdup(gargv[i]) :
					     g_shell_quote(gargv[i]);
		char *c = g_strjoin(" ", cmdline ? cmdline : q,
				    cmdline ? q : NULL, NULL);

		g_free(cmdline);
		cmdline = c;
	}
	printf("touch-speed: %d pages (%d MiB), %d rounds, a warm-up and %d "
	       "reps of each, interleaved\n",
	       pages, (int)(pages * PAGE >> 20), rounds, reps);
	printf("guest: %s\n", cmdline);
	printf("peer:  this process: mmap %d MiB MAP_PRIVATE|MAP_ANONYMOUS, "
	       "MADV_HUGEPAGE, one 8-byte store per 4 KiB page per round "
	       "(the guest's loop), CLOCK_MONOTONIC\n",
	       (int)(pages * PAGE >> 20));
	/* warm-up: the first runs pay for fresh host memory and caches */
	{
		Figures fg, fp;

		rc = guest_run(gargv, &fg);
		if (rc)
			return rc;
		if (!peer_run(pages, rounds, &fp))
			return 1;
	}
	printf("rep   guest ns/touch  peer ns/touch  guest first ns  "
	       "peer first ns\n");
	for (int r = 0; r < reps; r++) {
		Figures fg, fp;

		/* alternate which one goes first */
		if (r % 2 && !peer_run(pages, rounds, &fp))
			return 1;
		rc = guest_run(gargv, &fg);
		if (rc)
			return rc;
		if (!(r % 2) && !peer_run(pages, rounds, &fp))
			return 1;
		g[0][r] = fg.ns;
		g[1][r] = fg.first_ns;
		p[0][r] = fp.ns;
		p[1][r] = fp.first_ns;
		printf("%3d   %14.2f  %13.2f  %14.2f  %13.2f\n", r, fg.ns,
		       fp.ns, fg.first_ns, fp.first_ns);
		fflush(stdout);
	}
	for (int k = 0; k < 2; k++) {
		mg[k] = median(g[k], reps);
		mp[k] = median(p[k], reps);
		printf("%-19s guest %9.2f ns  peer %9.2f ns  "
		       "ratio guest/peer %7.2f\n",
		       what[k], mg[k], mp[k], mg[k] / mp[k]);
	}
	return 0;
}
