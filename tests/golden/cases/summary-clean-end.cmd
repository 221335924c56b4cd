summary tests/golden/cases/summary-clean-end.trace
