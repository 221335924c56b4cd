leaks sample-traces/leaks/kinds.trace --from start --suppressions sample-traces/leaks/suppressions.txt --format json
