summary --format json sample-traces/anomaly-owner-mismatch.trace
