/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HW_MACHINE_QMP_H
#define HW_MACHINE_QMP_H

#include "hw/machine.h"

/* Answer QMP's run-state and machine queries from @m.  Main thread. */
void machine_qmp_register(Machine *m);

#endif
