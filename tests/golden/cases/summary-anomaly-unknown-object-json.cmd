summary --format json sample-traces/anomaly-unknown-object.trace
