summary tests/golden/cases/summary-cut-at-cap.trace
