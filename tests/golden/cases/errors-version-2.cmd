summary tests/golden/cases/errors-version-2.trace
