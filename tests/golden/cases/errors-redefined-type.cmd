summary tests/golden/cases/errors-redefined-type.trace
