why sample-traces/graphs/heap.trace 0x9999
