diff --from before --to after --format json sample-traces/leaks/growth.trace
