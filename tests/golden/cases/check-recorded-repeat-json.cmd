check sample-traces/recorded/leaky_service-py3.11.trace.zst --from ready --repeat request --format json
