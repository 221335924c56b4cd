summary --format json sample-traces/every-record.trace.zst
