leaks --from start sample-traces/leaks/kinds.trace
