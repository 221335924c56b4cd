why sample-traces/graphs/heap.trace 0x6000@30
