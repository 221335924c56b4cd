summary --format json --at 'checkpoint 1' sample-traces/sampled.trace
