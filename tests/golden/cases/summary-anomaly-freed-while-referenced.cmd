summary sample-traces/anomaly-freed-while-referenced.trace
