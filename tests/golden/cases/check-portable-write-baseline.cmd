check sample-traces/leaks/checkout-laptop.trace --from start --fail-on unowned,retained --write-baseline /dev/stdout --format json
