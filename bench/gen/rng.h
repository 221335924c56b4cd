/* Deterministic random numbers shared by refscope-gen-trace (C++) and refscope-churn (C).
 *
 * Both programs must make the same choices for the same seed, so that the churn trace and the heaptrack recording
 * describe the same workload: the same slot is replaced at each step and each allocation has the same size. That is
 * why this header is plain C and why each kind of choice draws from its own stream (the generator makes extra choices,
 * type and site, that churn.c does not need; with one shared stream those would shift every later slot and size).
 *
 * The generator is xoshiro256** seeded through splitmix64, as its authors recommend; bounded draws use Lemire's
 * multiply-shift, which is unbiased enough for workloads and needs no division. */
#ifndef REFSCOPE_BENCH_GEN_RNG_H
#define REFSCOPE_BENCH_GEN_RNG_H

#include <stdint.h>

__extension__ typedef unsigned __int128 bench_u128;

typedef struct bench_rng {
  uint64_t s[4];
} bench_rng;

/* Streams: one per kind of choice. */
enum {
  BENCH_STREAM_SLOTS = 1, /* which live slot is replaced next */
  BENCH_STREAM_SIZES = 2, /* allocation sizes */
  BENCH_STREAM_META = 3,  /* types, sites, references and everything else the generator decides */
};

/* The churn workload: 5M allocations over a 64k live set; each replacement frees the old block first. */
#define BENCH_CHURN_ALLOCATIONS 5000000u
#define BENCH_CHURN_LIVE 65536u

static inline uint64_t bench_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline void bench_rng_seed(bench_rng *rng, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
  for (int i = 0; i < 4; ++i) rng->s[i] = bench_splitmix64(&x);
}

static inline uint64_t bench_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t bench_rng_next(bench_rng *rng) {
  uint64_t *s = rng->s;
  uint64_t result = bench_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = bench_rotl(s[3], 45);
  return result;
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t bench_rng_below(bench_rng *rng, uint64_t n) {
  return (uint64_t)(((bench_u128)bench_rng_next(rng) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double bench_rng_unit(bench_rng *rng) {
  return (double)(bench_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Sizes like CPython objects: most are small (ints, floats, short strings, tuples), some are mid-sized, few reach
 * pymalloc's 512-byte limit. */
static inline uint32_t bench_churn_size(bench_rng *rng) {
  uint64_t bucket = bench_rng_below(rng, 100);
  if (bucket < 75) return 32 + (uint32_t)bench_rng_below(rng, 97);  /* 32..128 */
  if (bucket < 95) return 129 + (uint32_t)bench_rng_below(rng, 128); /* 129..256 */
  return 257 + (uint32_t)bench_rng_below(rng, 256);                  /* 257..512 */
}

#endif
