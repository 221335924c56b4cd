summary --at built sample-traces/every-record.trace
