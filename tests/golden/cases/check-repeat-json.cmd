check --repeat iter --warmup 1 --format json sample-traces/leaks/repeat.trace
