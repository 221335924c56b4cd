cycles --at built sample-traces/graphs/heap.trace
