sharing sample-traces/graphs/heap.trace
