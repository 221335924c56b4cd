sharing sample-traces/graphs/heap.trace --sort retained --format json --limit 0
