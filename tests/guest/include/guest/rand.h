/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fast seedable PRNG: splitmix64 seeding, xorshift64* output. */
#ifndef GUEST_RAND_H
#define GUEST_RAND_H

#include <stdint.h>

struct rng {
	uint64_t state; /* never 0 */
};

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	r->state = splitmix64(&seed);
	if (!r->state)
		r->state = 0x2545f4914f6cdd1dULL;
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t x = r->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n) (multiply-shift; bias below 2^-32 for n < 2^32). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

#endif
