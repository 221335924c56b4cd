summary sample-traces/sampled.trace
