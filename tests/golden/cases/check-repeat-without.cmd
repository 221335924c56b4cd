check sample-traces/leaks/repeat.trace
