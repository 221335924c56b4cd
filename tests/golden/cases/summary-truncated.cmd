summary sample-traces/truncated.trace
