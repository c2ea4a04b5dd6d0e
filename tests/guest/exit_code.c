/* SPDX-License-Identifier: GPL-2.0-or-later */
/* -append status=N (default 0): outb(EXIT_PORT, N); kvmage exits with N. */
#include "guest/args.h"
#include "guest/crt.h"
#include "guest/io.h"
#include "guest/ucall.h"

int guest_main(void)
{
	uint64_t status = arg_get_u64("status", 0);

	GUEST_ASSERT_MSG(status <= 255, "status %lu is not a byte", status);
	outb(EXIT_PORT, status);
	GUEST_FAIL("still running after writing %lu to the exit port",
		   status);
}
