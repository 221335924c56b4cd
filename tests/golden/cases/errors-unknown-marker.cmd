summary --at nowhere sample-traces/every-record.trace
