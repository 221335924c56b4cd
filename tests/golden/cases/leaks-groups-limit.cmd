leaks --from start sample-traces/leaks/kinds.trace --groups 2
