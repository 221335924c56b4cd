sharing --sort retained --limit 0 --format tsv sample-traces/graphs/heap.trace
