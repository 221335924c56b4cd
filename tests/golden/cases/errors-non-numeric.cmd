summary tests/golden/cases/errors-non-numeric.trace
