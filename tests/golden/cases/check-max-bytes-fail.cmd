check --from start --fail-on all --max-objects 6 --max-bytes 1000 sample-traces/leaks/kinds.trace
