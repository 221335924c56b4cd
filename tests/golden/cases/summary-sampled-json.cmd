summary --format json sample-traces/sampled.trace
