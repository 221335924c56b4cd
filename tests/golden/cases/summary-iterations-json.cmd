summary --format json sample-traces/iterations.trace
