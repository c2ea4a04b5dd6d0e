/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bitmaps of unsigned long words, bit i in word i / BITS_PER_LONG, as in
 * the kernel: KVM's dirty log, residency and the aging core share them.
 * None of these helpers is atomic; callers say who owns the bitmap.
 */
#ifndef UTIL_BITMAP_H
#define UTIL_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

#define BITS_PER_LONG	 (8 * sizeof(unsigned long))
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define BIT_WORD(i)	 ((i) / BITS_PER_LONG)
#define BIT_MASK(i)	 (1UL << ((i) % BITS_PER_LONG))

static inline bool bitmap_test(const unsigned long *map, uint64_t i)
{
	return map[BIT_WORD(i)] & BIT_MASK(i);
}

static inline void bitmap_set_bit(unsigned long *map, uint64_t i)
{
	map[BIT_WORD(i)] |= BIT_MASK(i);
}

static inline void bitmap_clear_bit(unsigned long *map, uint64_t i)
{
	map[BIT_WORD(i)] &= ~BIT_MASK(i);
}

/* Set bits [@start, @start + @n). */
static inline void bitmap_set_range(unsigned long *map, uint64_t start,
				    uint64_t n)
{
	while (n && start % BITS_PER_LONG) {
		bitmap_set_bit(map, start++);
		n--;
	}
	for (; n >= BITS_PER_LONG; n -= BITS_PER_LONG, start += BITS_PER_LONG)
		map[BIT_WORD(start)] = ~0UL;
	for (; n; n--)
		bitmap_set_bit(map, start++);
}

/* Number of bits set among the first @nbits. */
static inline uint64_t bitmap_weight(const unsigned long *map, uint64_t nbits)
{
	uint64_t w = 0, i;

	for (i = 0; i < nbits / BITS_PER_LONG; i++)
		w += __builtin_popcountl(map[i]);
	if (nbits % BITS_PER_LONG)
		w += __builtin_popcountl(map[i] & (BIT_MASK(nbits) - 1));
	return w;
}

#endif
