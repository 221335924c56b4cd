summary --format json sample-traces/anomaly-refcount-underflow.trace
