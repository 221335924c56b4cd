summary sample-traces/anomaly-external-negative.trace
