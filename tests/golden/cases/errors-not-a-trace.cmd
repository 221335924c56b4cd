summary tests/golden/cases/errors-not-a-trace.trace
