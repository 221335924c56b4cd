leaks sample-traces/leaks/kinds.trace --by stack,type --format json
