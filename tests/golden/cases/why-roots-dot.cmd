why sample-traces/roots/roots.trace 0x6000 --at request --format dot
