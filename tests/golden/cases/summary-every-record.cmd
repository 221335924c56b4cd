summary sample-traces/every-record.trace
