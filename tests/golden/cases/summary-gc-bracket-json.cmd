summary --format json sample-traces/gc-bracket.trace
