check --fail-on leaky sample-traces/leaks/kinds.trace
