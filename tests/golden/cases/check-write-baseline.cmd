check sample-traces/leaks/kinds.trace --from start --baseline sample-traces/leaks/baseline.json --write-baseline /dev/stdout
