sharing sample-traces/recorded/leaky_service-py3.11.trace.zst --at request#2
