summary tests/golden/cases/errors-version-3.trace
