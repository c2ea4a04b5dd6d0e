/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints "Hello from kvmage guest\n" on the serial port, then the -append
 * string and a newline if there is one, and exits 0.
 */
#include "guest/args.h"
#include "guest/crt.h"
#include "guest/serial.h"

int guest_main(void)
{
	printf("Hello from kvmage guest\n");
	if (*args_cmdline())
		printf("%s\n", args_cmdline());
	return 0;
}
