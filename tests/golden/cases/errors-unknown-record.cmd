summary tests/golden/cases/errors-unknown-record.trace
