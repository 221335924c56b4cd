why sample-traces/graphs/heap.trace 0xa000
