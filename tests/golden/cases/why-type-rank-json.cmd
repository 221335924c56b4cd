why sample-traces/graphs/heap.trace --type app.Node --rank 3 --format json
