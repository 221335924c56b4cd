summary --format json sample-traces/anomaly-refcount-mismatch.trace
