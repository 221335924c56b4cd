summary tests/golden/cases/summary-no-final-checkpoint.trace
