summary tests/golden/cases/errors-gc-end-none-open.trace
