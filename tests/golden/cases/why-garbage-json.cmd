why sample-traces/graphs/heap.trace 0x9000 --format json
