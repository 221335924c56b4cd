leaks --from start --format json --limit 3 sample-traces/leaks/kinds.trace
