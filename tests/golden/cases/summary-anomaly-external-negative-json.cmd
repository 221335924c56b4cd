summary --format json sample-traces/anomaly-external-negative.trace
