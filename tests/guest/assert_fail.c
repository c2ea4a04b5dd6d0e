/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A failing GUEST_ASSERT_MSG: kvmage must report file:line and exit 1. */
#include "guest/crt.h"
#include "guest/ucall.h"

int guest_main(void)
{
	volatile int answer = 42;

	GUEST_ASSERT_MSG(answer == 43, "answer is %d", answer);
	return 0; /* not reached */
}
