why --type builtins.dict sample-traces/graphs/heap.trace
