leaks sample-traces/roots/roots.trace --from start --at request
