summary tests/golden/cases/errors-undefined-type.trace
