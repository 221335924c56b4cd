summary --format json sample-traces/anomaly-address-reused.trace
