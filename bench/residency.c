/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Residency scan speed (memory/residency.c): GiB of guest RAM counted per
 * CPU second, for each method (PAGEMAP_SCAN, batched pagemap reads), on
 * anonymous and memfd backends of 1-4 GiB, in these states:
 *   populated  every page present (prealloc=on; THP on anonymous RAM)
 *   zapped     memfd only: populated, then every page-table entry
 *              dropped (MADV_DONTNEED), as uffd aging does: the page
 *              cache has to be asked
 *   swapped    every 4 KiB page populated (no THP), then every fourth
 *              paged out (MADV_PAGEOUT; skipped without swap)
 *   swapped+zapped  memfd only: the same, entries then dropped
 *   alternate  every other 4 KiB page present (no THP): the most runs
 *   empty      nothing populated
 * Goal (issue 5): at least 10 GiB per CPU second.
 *
 *   bench-residency [--sizes 1,2,4] [--min-cpu-ms 300]
 *
 * Prints a markdown table.  CPU time is the process's (user + system)
 * over as many counts as fill --min-cpu-ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "backends/hostmem.h"
#include "memory/residency.h"
#include "util/error.h"

#define GiB (1ULL << 30)

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static HostMemBackend *bench_alloc(HostMemType type, uint64_t size,
				   bool prealloc)
{
	g_autoptr(GHashTable) props =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GError *err = NULL;
	HostMemBackend *be;

	g_hash_table_insert(props, g_strdup("size"),
			    g_strdup_printf("%" G_GUINT64_FORMAT, size));
	if (prealloc) {
		g_hash_table_insert(props, g_strdup("prealloc"),
				    g_strdup("on"));
		g_hash_table_insert(props, g_strdup("prealloc-threads"),
				    g_strdup("2"));
	}
	be = hostmem_new(type, "bench", props, &err);
	if (!be || !hostmem_alloc(be, &err)) {
		error_report_err(err);
		hostmem_free(be);
		return NULL;
	}
	return be;
}

/* Count the whole backend until @min_cpu s of CPU are spent. */
static void bench_one(HostMemBackend *be, const char *state, ResidencyMethod m,
		      double min_cpu)
{
	RamBank b = {
		.type = RAM_BANK_RAM,
		.size = be->size,
		.host = be->host,
		.backend = be,
		.page_size = be->page_size,
	};
	double cpu0, wall0, cpu, wall;
	ResidencyCounts c;
	GError *err = NULL;
	unsigned n = 0;

	g_setenv("KVMAGE_TEST_RESIDENCY_METHOD", residency_method_str(m), TRUE);
	cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	wall0 = clock_s(CLOCK_MONOTONIC);
	do {
		if (!residency_count(&b, 0, be->size, &c, &err)) {
			error_report_err(err);
			return;
		}
		n++;
		cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	} while (cpu < min_cpu);
	wall = clock_s(CLOCK_MONOTONIC) - wall0;
	printf("| %" G_GUINT64_FORMAT "G | %s | %s | %s | %.1f | %.2f | "
	       "%" G_GUINT64_FORMAT " |\n",
	       (uint64_t)(be->size / GiB), hostmem_type_name(be->type), state,
	       residency_method_str(m), (double)be->size * n / GiB / cpu,
	       wall * 1000 / n, c.present >> 20);
	fflush(stdout);
}

static const ResidencyMethod methods[] = {
	RESIDENCY_METHOD_PAGEMAP_SCAN,
	RESIDENCY_METHOD_PAGEMAP,
};

static void bench_methods(HostMemBackend *be, const char *state, double min_cpu)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(methods); i++)
		bench_one(be, state, methods[i], min_cpu);
}

static void bench_zap(HostMemBackend *be)
{
	if (madvise(be->host, be->size, MADV_DONTNEED))
		perror("madvise(MADV_DONTNEED)");
}

/* Touch every @stride-th 4 KiB page from @first. */
static void bench_touch(HostMemBackend *be, uint64_t first, uint64_t stride)
{
	for (uint64_t off = first; off < be->size; off += stride)
		((volatile char *)be->host)[off] = 1;
}

static void bench_states(HostMemType type, uint64_t size, double min_cpu,
			 bool swap)
{
	HostMemBackend *be = bench_alloc(type, size, true);

	if (!be)
		return;
	bench_methods(be, "populated", min_cpu);
	if (be->fd >= 0) {
		bench_zap(be);
		bench_methods(be, "zapped", min_cpu);
	}
	hostmem_free(be);

	/* 4 KiB pages from here on */
	be = bench_alloc(type, size, false);
	if (!be)
		return;
	bench_methods(be, "empty", min_cpu);
	if (madvise(be->host, be->size, MADV_NOHUGEPAGE))
		perror("madvise(MADV_NOHUGEPAGE)");
	bench_touch(be, 0, 8192);
	bench_methods(be, "alternate", min_cpu);
	if (swap) {
		bench_touch(be, 4096, 8192);
		for (uint64_t off = 0; off < be->size; off += 16384) {
			if (madvise((char *)be->host + off, 4096,
				    MADV_PAGEOUT)) {
				perror("madvise(MADV_PAGEOUT)");
				break;
			}
		}
		bench_methods(be, "swapped", min_cpu);
		if (be->fd >= 0) {
			bench_zap(be);
			bench_methods(be, "swapped+zapped", min_cpu);
		}
	}
	hostmem_free(be);
}

int main(int argc, char **argv)
{
	const char *sizes = "1,2,4";
	double min_cpu = 0.3;
	g_auto(GStrv) list = NULL;
	g_autofree char *swaps = NULL;
	bool swap;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			sizes = argv[++i];
		} else if (!strcmp(argv[i], "--min-cpu-ms") && i + 1 < argc) {
			min_cpu = atof(argv[++i]) / 1000;
		} else {
			fprintf(stderr,
				"usage: %s [--sizes 1,2,4] "
				"[--min-cpu-ms 300]\n",
				argv[0]);
			return 2;
		}
	}
	/* a line beyond the header of /proc/swaps: some swap is on */
	swap = g_file_get_contents("/proc/swaps", &swaps, NULL, NULL) &&
	       strchr(swaps, '\n') && strchr(swaps, '\n')[1];
	printf("residency scan speed; kernel method probed: %s%s\n\n",
	       residency_method_str(residency_method()),
	       swap ? "" : "; no swap: no 'swapped' rows");
	printf("| size | backend | state | method | GiB per CPU-s | "
	       "ms per scan | present MiB |\n");
	printf("|---|---|---|---|---|---|---|\n");
	list = g_strsplit(sizes, ",", -1);
	for (int i = 0; list[i]; i++) {
		uint64_t size = g_ascii_strtoull(list[i], NULL, 10) * GiB;

		if (!size)
			continue;
		bench_states(HOSTMEM_RAM, size, min_cpu, swap);
		bench_states(HOSTMEM_MEMFD, size, min_cpu, swap);
	}
	return 0;
}
