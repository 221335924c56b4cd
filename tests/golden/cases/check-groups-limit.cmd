check --from start sample-traces/leaks/kinds.trace --groups 1
