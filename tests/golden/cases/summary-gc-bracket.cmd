summary sample-traces/gc-bracket.trace
