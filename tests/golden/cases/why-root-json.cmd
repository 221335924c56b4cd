why sample-traces/graphs/heap.trace 0x1000 --format json
