leaks sample-traces/recorded/leaky_service-py3.11.trace.zst --from ready --to request#3
