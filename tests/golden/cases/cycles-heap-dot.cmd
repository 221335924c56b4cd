cycles --format dot sample-traces/graphs/heap.trace
