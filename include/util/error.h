/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include <glib.h>

/*
 * kvmage reports errors through GError in the KVMAGE_ERROR domain.  The
 * codes map one to one onto QMP's error classes so that the monitor can
 * report them exactly as QEMU does.  Functions return bool, a pointer or a
 * negative number and set @errp only on failure, never both.
 */
#define KVMAGE_ERROR (kvmage_error_quark())

typedef enum {
	KVMAGE_ERROR_GENERIC,		/* QMP GenericError */
	KVMAGE_ERROR_COMMAND_NOT_FOUND, /* QMP CommandNotFound */
	KVMAGE_ERROR_DEVICE_NOT_ACTIVE, /* QMP DeviceNotActive */
	KVMAGE_ERROR_DEVICE_NOT_FOUND,	/* QMP DeviceNotFound */
	KVMAGE_ERROR_KVM_MISSING_CAP,	/* QMP KVMMissingCap */
} KvmageErrorCode;

GQuark kvmage_error_quark(void);

/* Set @errp from errno @err, appending strerror(): "msg: strerror". */
void error_setg_errno(GError **errp, int err, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

/* Set a KVMAGE_ERROR_GENERIC error. */
#define error_setg(errp, ...) \
	g_set_error((errp), KVMAGE_ERROR, KVMAGE_ERROR_GENERIC, __VA_ARGS__)

/* Print "kvmage: <message>" to stderr and free the error. */
void error_report_err(GError *err);

#endif
