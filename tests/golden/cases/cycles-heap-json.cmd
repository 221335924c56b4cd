cycles --format json sample-traces/graphs/heap.trace
