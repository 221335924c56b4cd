summary tests/golden/cases/errors-gc-while-open.trace
