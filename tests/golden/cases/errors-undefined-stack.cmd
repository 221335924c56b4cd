summary tests/golden/cases/errors-undefined-stack.trace
