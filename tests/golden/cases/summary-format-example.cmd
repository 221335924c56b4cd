summary sample-traces/format-example.trace
