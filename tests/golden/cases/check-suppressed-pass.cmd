check --from start --suppressions sample-traces/leaks/suppressions.txt sample-traces/leaks/kinds.trace
