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

/*
 * The state the guest can observe, for migration: the registers IER,
 * LCR, MCR, SCR, FCR, DLL, DLM and the pending THR-empty interrupt, as
 * SERIAL_STATE_SIZE bytes of version SERIAL_STATE_VERSION (layout in
 * docs/interop/migration-stream.rst).  Where the output goes is not
 * state: the receiver's -serial decides.  save returns the bytes
 * written (0 if @size is too small); load refuses another version or
 * size, or a register value the UART cannot hold, leaving the state as
 * it was.  Both take the device lock.
 */
#define SERIAL_STATE_VERSION 1
#define SERIAL_STATE_SIZE    8
size_t serial_state_save(void *state, uint8_t *buf, size_t size);
bool serial_state_load(void *state, uint32_t version, const uint8_t *buf,
		       size_t len, GError **errp);

#endif
