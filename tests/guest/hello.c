/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prints a greeting and the -append string on the serial port. */
#include "guest/args.h"
#include "guest/crt.h"
#include "guest/serial.h"

int guest_main(void)
{
	printf("Hello from kvmage guest\n");
	printf("cmdline: %s\n", args_cmdline());
	return 0;
}
