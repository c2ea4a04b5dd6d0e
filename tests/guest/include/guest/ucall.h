/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ucalls to kvmage, in the style of the KVM selftests.  Each CPU owns one
 * struct ucall (no sharing between vCPUs); a call fills it and writes its
 * guest-physical address (identity mapped: its address) to UCALL_PORT
 * with one 32-bit OUT.  kvmage handles it before the OUT completes.
 */
#ifndef GUEST_UCALL_H
#define GUEST_UCALL_H

#include <stdarg.h>
#include <stdint.h>

#include "kvmage/guest-abi.h"

#ifdef __FILE_NAME__
#define GUEST_FILE __FILE_NAME__
#else
#define GUEST_FILE __FILE__
#endif

/* Send @cmd with @nargs (<= UCALL_NR_ARGS) arguments; returns the ret. */
uint64_t ucall(uint64_t cmd, unsigned int nargs, const uint64_t *args);
/* Send @cmd with a formatted buf (truncated to UCALL_BUF_SIZE - 1). */
uint64_t ucall_fmt(uint64_t cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void __attribute__((noreturn))
ucall_assert(const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* UCALL_DONE with @status; never returns (spins if kvmage resumes us). */
void __attribute__((noreturn)) guest_exit(int status);

/* GUEST_SYNC_ARGS(stage, a, b, ...): up to UCALL_NR_ARGS values. */
#define GUEST_SYNC_ARGS(...)                                             \
	({                                                               \
		const uint64_t __ua[] = { __VA_ARGS__ };                 \
		_Static_assert(sizeof(__ua) / sizeof(__ua[0]) <=         \
				       UCALL_NR_ARGS,                    \
			       "too many ucall arguments");              \
		ucall(UCALL_SYNC, sizeof(__ua) / sizeof(__ua[0]), __ua); \
	})
#define GUEST_SYNC(stage) GUEST_SYNC_ARGS(stage)

#define GUEST_PRINTF(fmt, ...) ucall_fmt(UCALL_PRINTF, fmt, ##__VA_ARGS__)
/* One "key=value ..." result line for the host. */
#define GUEST_REPORT(fmt, ...) ucall_fmt(UCALL_REPORT, fmt, ##__VA_ARGS__)

#define GUEST_DONE() guest_exit(0)

#define GUEST_ASSERT_MSG(cond, fmt, ...)                               \
	do {                                                           \
		if (!(cond))                                           \
			ucall_assert(GUEST_FILE, __LINE__, #cond, fmt, \
				     ##__VA_ARGS__);                   \
	} while (0)

#define GUEST_ASSERT(cond) GUEST_ASSERT_MSG(cond, "assertion failed")

#define GUEST_FAIL(fmt, ...) \
	ucall_assert(GUEST_FILE, __LINE__, "failed", fmt, ##__VA_ARGS__)

#define GUEST_ASSERT_EQ(a, b)                                                \
	do {                                                                 \
		uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);         \
		if (__ga != __gb)                                            \
			ucall_assert(GUEST_FILE, __LINE__, #a " == " #b,     \
				     "%lu (%#lx) != %lu (%#lx)", __ga, __ga, \
				     __gb, __gb);                            \
	} while (0)

#endif
