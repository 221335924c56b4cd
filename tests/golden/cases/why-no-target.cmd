why sample-traces/graphs/heap.trace
