summary --max-anomalies 2 sample-traces/anomaly-unknown-object.trace
