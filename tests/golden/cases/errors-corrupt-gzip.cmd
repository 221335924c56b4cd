summary tests/golden/cases/errors-corrupt-gzip.trace
