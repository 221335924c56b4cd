/* refscope-churn: the churn workload done with malloc and free, for heaptrack to record.
 *
 * Fills a live set of L blocks, then replaces a random one until A allocations have been made in all: the old block
 * is freed before its replacement is allocated. Slots and sizes come from the same random streams as
 * `refscope-gen-trace --workload churn` (gen/rng.h), so the heaptrack recording of this program and that trace are
 * the same workload: 5M allocations and 4.93M frees by default, 64k blocks live at the end (not freed, like the
 * objects still live at the end of the trace).
 *
 * usage: refscope-churn [-a ALLOCATIONS] [-l LIVE] [-s SEED] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static uint64_t parse_arg(const char *flag, const char *text) {
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (end == text || *end != '\0') {
    fprintf(stderr, "refscope-churn: %s: not a number: %s\n", flag, text);
    exit(2);
  }
  return (uint64_t)v;
}

int main(int argc, char **argv) {
  uint64_t allocations = BENCH_CHURN_ALLOCATIONS, live = BENCH_CHURN_LIVE, seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && strcmp(argv[i], "-a") == 0)
      allocations = parse_arg(argv[i], argv[i + 1]), ++i;
    else if (i + 1 < argc && strcmp(argv[i], "-l") == 0)
      live = parse_arg(argv[i], argv[i + 1]), ++i;
    else if (i + 1 < argc && strcmp(argv[i], "-s") == 0)
      seed = parse_arg(argv[i], argv[i + 1]), ++i;
    else {
      fprintf(stderr, "usage: refscope-churn [-a ALLOCATIONS] [-l LIVE] [-s SEED]\n");
      return 2;
    }
  }
  if (live == 0) {
    fprintf(stderr, "refscope-churn: -l must be at least 1\n");
    return 2;
  }

  bench_rng slots_rng, sizes_rng;
  bench_rng_seed(&slots_rng, seed, BENCH_STREAM_SLOTS);
  bench_rng_seed(&sizes_rng, seed, BENCH_STREAM_SIZES);
  unsigned char **slots = calloc(live, sizeof *slots);
  if (slots == NULL) {
    fprintf(stderr, "refscope-churn: out of memory\n");
    return 1;
  }

  /* Each block is written to, as an object's header would be, so that the work cannot be optimised away. */
  uint64_t fill = allocations < live ? allocations : live;
  for (uint64_t i = 0; i < fill; ++i) {
    size_t size = bench_churn_size(&sizes_rng);
    slots[i] = malloc(size);
    if (slots[i] == NULL) return 1;
    slots[i][0] = (unsigned char)i;
  }
  uint64_t checksum = 0;
  for (uint64_t i = fill; i < allocations; ++i) {
    uint64_t s = bench_rng_below(&slots_rng, live);
    checksum += slots[s][0];
    free(slots[s]);
    size_t size = bench_churn_size(&sizes_rng);
    slots[s] = malloc(size);
    if (slots[s] == NULL) return 1;
    slots[s][0] = (unsigned char)i;
  }
  /* The live set stays allocated at exit, as in the trace. */
  volatile uint64_t sink = checksum;
  (void)sink;
  return 0;
}
