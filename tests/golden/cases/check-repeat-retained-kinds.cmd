check sample-traces/leaks/repeat-growing-list.trace --repeat iteration --warmup 1 --fail-on unowned,cyclic
