cycles sample-traces/graphs/sampled-gc.trace --format json
