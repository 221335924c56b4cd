summary tests/golden/cases/errors-extra-field.trace
