summary --at 'built#2' sample-traces/every-record.trace
