/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

G_DEFINE_QUARK(kvmage_error_quark, kvmage_error)

void error_setg_errno(GError **errp, int err, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	if (!errp)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(errp, KVMAGE_ERROR, KVMAGE_ERROR_GENERIC, "%s: %s", msg,
		    g_strerror(err));
}

void error_report_err(GError *err)
{
	if (!err)
		return;
	fprintf(stderr, "kvmage: %s\n", err->message);
	g_error_free(err);
}
