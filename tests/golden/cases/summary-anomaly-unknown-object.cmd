summary sample-traces/anomaly-unknown-object.trace
