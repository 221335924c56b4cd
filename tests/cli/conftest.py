"""Shared fixtures for the command-line tests: the binary under test (env REFSCOPE), the repository (env
REFSCOPE_ROOT) and a helper that runs refscope and returns its exit status, stdout and stderr."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(os.environ.get("REFSCOPE_ROOT", pathlib.Path(__file__).resolve().parents[2]))
BINARY = os.environ.get("REFSCOPE", str(ROOT / "build" / "refscope"))
SAMPLES = ROOT / "sample-traces"


class Result:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.status = proc.returncode
        self.out = proc.stdout.decode("utf-8", "replace")
        self.err = proc.stderr.decode("utf-8", "replace")

    def __repr__(self):
        return f"exit {self.status}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


@pytest.fixture
def refscope():
    def run(*args, stdin: bytes = b"", cwd=ROOT, timeout=60):
        proc = subprocess.run([BINARY, *map(str, args)], input=stdin, capture_output=True, cwd=cwd,
                              timeout=timeout)
        return Result(proc)
    return run


@pytest.fixture
def samples():
    return SAMPLES


@pytest.fixture
def binary():
    return BINARY


@pytest.fixture(scope="session")
def big_trace(tmp_path_factory):
    """A trace of a few hundred thousand records, so that its report outlasts a pipe that closes early."""
    path = tmp_path_factory.mktemp("big") / "big.trace"
    lines = ["refscope-trace 1"]
    lines += [f"T {t} app.Type{t}" for t in range(1, 2001)]
    for i in range(100000):
        lines.append(f"A {0x7f0000000000 + 16 * i:x} {16 + i % 100} {1 + i % 2000}")
        if i % 3 == 0:
            lines.append(f"M iteration {i}")
    path.write_text("\n".join(lines) + "\n")
    return path
