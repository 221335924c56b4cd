leaks --from nosuchmarker sample-traces/leaks/kinds.trace
