cycles sample-traces/recorded/leaky_service-py3.13.trace.zst --limit 0
