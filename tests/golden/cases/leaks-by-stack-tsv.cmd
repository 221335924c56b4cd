leaks --by stack --format tsv sample-traces/leaks/kinds.trace
