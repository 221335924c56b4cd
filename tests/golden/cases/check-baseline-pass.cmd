check --from start --baseline sample-traces/leaks/baseline.json sample-traces/leaks/kinds.trace
