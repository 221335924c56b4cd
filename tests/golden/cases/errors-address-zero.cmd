summary tests/golden/cases/errors-address-zero.trace
