why --format json --max-paths 1 sample-traces/graphs/heap.trace 0x4000@22
