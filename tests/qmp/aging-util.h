/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the aging QMP tests.  Ground truth: pattern=hotcold rw=write
 * size=64M hot=4M on a 96 MiB memdev (see test-qmp-aging.c).
 */
#ifndef TESTS_QMP_AGING_UTIL_H
#define TESTS_QMP_AGING_UTIL_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "libqmp.h"

#define MiB	  (1024 * 1024LL)
#define RAM	  (96 * MiB)
#define HOT	  (4 * MiB)
#define COLD_DATA (60 * MiB)
#define SLACK	  (1 * MiB) /* guest pages written besides the hot set */
#define IVAL	  50

/* The workload guest ELF (set by main from the environment). */
extern const char *workload;

const char *aging_obj(const char *backend);
QmpProc *vm_start_with(const char *mem, const char *backend);
QmpProc *vm_start(void);
JsonNode *aging_query(QmpConn *c, const char *args);
gint64 info_int(JsonNode *n, const char *key);
gint64 aging_scans(QmpConn *c);
gint64 wait_scans(QmpConn *c, gint64 n, int timeout_ms);
JsonNode *wait_settled(QmpConn *c, gint64 scans, int timeout_ms);
char *cmd_error(QmpConn *c, const char *cmd);
void check_backends(JsonNode *info);
int count_estimates(JsonNode *info, gint64 *cold_err);
void check_ages(JsonNode *info);
const char *info_str(JsonNode *n, const char *key);

#endif
