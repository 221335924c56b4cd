summary sample-traces/anomaly-unknown-owner.trace
