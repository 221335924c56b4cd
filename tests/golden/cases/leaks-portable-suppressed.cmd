leaks sample-traces/leaks/checkout-ci.trace --from start --suppressions sample-traces/leaks/suppressions-portable.txt
