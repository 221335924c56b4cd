summary sample-traces/anomaly-address-reused.trace
