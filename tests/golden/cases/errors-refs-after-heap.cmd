summary tests/golden/cases/errors-refs-after-heap.trace
