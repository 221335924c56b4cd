summary --format json sample-traces/anomaly-unknown-owner.trace
