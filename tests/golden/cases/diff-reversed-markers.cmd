diff --from after --to before sample-traces/leaks/growth.trace
