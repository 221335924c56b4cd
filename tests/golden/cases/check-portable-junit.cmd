check sample-traces/leaks/checkout-ci.trace --from start --fail-on unowned,retained --baseline sample-traces/leaks/baseline-laptop.json --junit /dev/stdout --format json
