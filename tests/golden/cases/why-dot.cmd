why --format dot sample-traces/graphs/heap.trace 0x5000
