check sample-traces/leaks/repeat.trace --repeat iter --warmup 1 --junit /dev/stdout --format json
