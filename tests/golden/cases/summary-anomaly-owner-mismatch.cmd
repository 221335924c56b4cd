summary sample-traces/anomaly-owner-mismatch.trace
