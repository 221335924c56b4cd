summary sample-traces/roots/root-mismatch.trace
