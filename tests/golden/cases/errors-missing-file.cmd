summary tests/golden/cases/no-such-file.trace
