sharing sample-traces/roots/roots.trace --at request --format json --limit 2 --sort retained
