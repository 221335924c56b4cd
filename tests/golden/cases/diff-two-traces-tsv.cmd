diff --format tsv sample-traces/leaks/kinds.trace sample-traces/leaks/repeat.trace
