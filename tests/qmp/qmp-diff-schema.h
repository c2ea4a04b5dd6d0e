/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The schema test of the differential QMP suite (qmp-diff-schema.c). */
#ifndef TESTS_QMP_QMP_DIFF_SCHEMA_H
#define TESTS_QMP_QMP_DIFF_SCHEMA_H

/* /qmp-diff/schema: needs QEMU (the caller checks). */
void qmp_diff_test_schema(void);

#endif
