summary --format json sample-traces/anomaly-freed-while-referenced.trace
