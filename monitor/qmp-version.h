/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The version kvmage reports, shared by the greeting (monitor.c) and
 * query-version (qmp-cmds.c) without either calling into the other.
 * Internal to monitor/.  Locking: none (constant data).
 */
#ifndef MONITOR_QMP_VERSION_H
#define MONITOR_QMP_VERSION_H

#include "qapi-types.h"

/* A new VersionInfo (caller frees with qapi_free_VersionInfo()). */
VersionInfo *monitor_version_info(void);

#endif
