summary --format json sample-traces/truncated.trace
