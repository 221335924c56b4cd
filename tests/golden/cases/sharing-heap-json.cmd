sharing --format json --limit 3 sample-traces/graphs/heap.trace
