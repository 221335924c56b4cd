summary sample-traces/every-record.trace.gz
