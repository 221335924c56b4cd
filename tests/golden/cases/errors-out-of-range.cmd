summary tests/golden/cases/errors-out-of-range.trace
