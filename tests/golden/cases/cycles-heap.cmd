cycles sample-traces/graphs/heap.trace
