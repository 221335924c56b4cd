summary sample-traces/anomaly-refcount-mismatch.trace
