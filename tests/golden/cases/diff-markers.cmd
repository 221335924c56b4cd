diff --from before --to after sample-traces/leaks/growth.trace
