/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HW_SERIAL_H
#define HW_SERIAL_H

#include "hw/machine.h"

/*
 * 8250/16550A-compatible UART at COM1 (0x3f8).  Output goes where -serial
 * says (stdio, file:PATH, none).  Input is not modelled: RBR reads 0 and
 * LSR never reports data ready.  THR writes are emitted at once; LSR always
 * reports the transmitter empty so polling drivers never wait.
 */
bool serial_init(Machine *m, void **state, GError **errp);
void serial_exit(Machine *m, void *state);

#endif
