/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The few string functions guests need.  The compiler may emit calls to
 * memcpy/memset/memmove/memcmp on its own, so these keep their C names.
 */
#ifndef GUEST_STRING_H
#define GUEST_STRING_H

#include <stdarg.h>
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/*
 * printf-style formatting: %d %i %u %x %X %o %c %s %p %%, length
 * modifiers hh h l ll z t j, flags '-' '0' '#' ' ' '+', field width
 * (number or *) and precision for strings and integers.  No floating
 * point.  Returns the length the full output would have.
 */
typedef void (*format_sink_fn)(void *opaque, char c);
int vformat(format_sink_fn sink, void *opaque, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
