summary --format json sample-traces/roots/roots.trace
