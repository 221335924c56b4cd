summary sample-traces/roots/roots.trace
