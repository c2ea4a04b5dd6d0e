/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ucalls from ring 3 (the exception handler in crt.c makes the ring-0
 * kind, through UCALL_PORT).  Each CPU uses only its own struct ucall
 * (indexed by guest_cpu()), so no locking is needed; the exception
 * handler may overwrite it, but then the CPU stops.
 */
#include <stdarg.h>
#include <stdint.h>

#include "guest/crt.h"
#include "guest/io.h"
#include "guest/string.h"
#include "guest/ucall.h"

struct ucall guest_ucalls[BOOT_MAX_VCPUS] __attribute__((aligned(64)));

static struct ucall *ucall_prepare(uint64_t cmd, unsigned int nargs,
				   const uint64_t *args)
{
	unsigned int cpu = guest_cpu();
	struct ucall *uc = &guest_ucalls[cpu];
	unsigned int i;

	uc->cmd = cmd;
	uc->cpu = cpu;
	for (i = 0; i < UCALL_NR_ARGS; i++)
		uc->args[i] = i < nargs ? args[i] : 0;
	uc->ret = 0;
	uc->buf[0] = '\0';
	return uc;
}

/*
 * Ring 3: one 4-byte store to UCALL_MMIO_GPA (the structs live below
 * 4 GiB in the image, and 4 bytes is what the port takes too).  Its memory
 * clobber orders the struct stores before it and the read of ret after it.
 */
static uint64_t ucall_send(struct ucall *uc)
{
	mmio_write32(UCALL_MMIO_GPA, (uint32_t)(uintptr_t)uc);
	return READ_ONCE(uc->ret);
}

uint64_t ucall(uint64_t cmd, unsigned int nargs, const uint64_t *args)
{
	if (nargs > UCALL_NR_ARGS)
		nargs = UCALL_NR_ARGS;
	return ucall_send(ucall_prepare(cmd, nargs, args));
}

uint64_t ucall_fmt(uint64_t cmd, const char *fmt, ...)
{
	struct ucall *uc = ucall_prepare(cmd, 0, NULL);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(uc->buf, sizeof(uc->buf), fmt, ap);
	va_end(ap);
	return ucall_send(uc);
}

void ucall_assert(const char *file, int line, const char *expr, const char *fmt,
		  ...)
{
	struct ucall *uc = ucall_prepare(UCALL_ASSERT, 0, NULL);
	va_list ap;
	int n;

	n = snprintf(uc->buf, sizeof(uc->buf), "%s:%d: %s: ", file, line, expr);
	if (n < (int)sizeof(uc->buf)) {
		va_start(ap, fmt);
		vsnprintf(uc->buf + n, sizeof(uc->buf) - n, fmt, ap);
		va_end(ap);
	}
	ucall_send(uc);
	/* kvmage should have stopped the VM; make sure we do not go on. */
	guest_exit(1);
}

void guest_exit(int status)
{
	uint64_t arg = (uint64_t)(int64_t)status;

	ucall(UCALL_DONE, 1, &arg);
	guest_park();
}
