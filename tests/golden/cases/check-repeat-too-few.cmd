check --repeat iter --warmup 4 sample-traces/leaks/repeat.trace
