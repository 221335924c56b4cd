summary sample-traces/anomaly-refcount-underflow.trace
