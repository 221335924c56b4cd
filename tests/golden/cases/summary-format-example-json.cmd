summary --format json sample-traces/format-example.trace
