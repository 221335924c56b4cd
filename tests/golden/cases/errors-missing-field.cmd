summary tests/golden/cases/errors-missing-field.trace
