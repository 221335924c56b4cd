summary --format yaml sample-traces/every-record.trace
