check --repeat iter --warmup 1 sample-traces/leaks/repeat.trace
