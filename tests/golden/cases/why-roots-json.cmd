why sample-traces/roots/roots.trace 0x5000 --at request --format json
