sharing sample-traces/roots/roots.trace --at request --sort retained
