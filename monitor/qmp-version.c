/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The version of the greeting and query-version; see qmp-version.h. */
#include "kvmage-version.h"
#include "qmp-version.h"

VersionInfo *monitor_version_info(void)
{
	VersionInfo *info = g_new0(VersionInfo, 1);

	info->qemu = g_new0(VersionTriple, 1);
	info->qemu->major = KVMAGE_VERSION_MAJOR;
	info->qemu->minor = KVMAGE_VERSION_MINOR;
	info->qemu->micro = KVMAGE_VERSION_MICRO;
	info->package = g_strdup(KVMAGE_PACKAGE);
	return info;
}
