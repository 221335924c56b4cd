"""Fixtures for the recorder's ground-truth tests: record a small Python program with `refscope record`, then
compare refscope's answers (and an independent replay, trace_model.py) with what CPython itself says.

Environment: REFSCOPE_BUILD_DIR (default: build-rec beside tests/) holds the refscope binary and recorder/X.Y/.
REFSCOPE_TEST_PYTHONS is a :-list of interpreters (default /usr/bin/python3 and pyenv's 3.12.1 and 3.13.0, each
when a recorder was built for its version).
"""
import json
import os
import subprocess
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("REFSCOPE_BUILD_DIR", os.path.join(ROOT, "build-rec"))
REFSCOPE = os.path.join(BUILD, "refscope")

DEFAULT_PYTHONS = ["/usr/bin/python3", "/root/.pyenv/versions/3.12.1/bin/python3",
                   "/root/.pyenv/versions/3.13.0/bin/python3"]


def _version(python):
    out = subprocess.run([python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def _pythons():
    wanted = os.environ.get("REFSCOPE_TEST_PYTHONS")
    found = []
    for python in (wanted.split(":") if wanted else DEFAULT_PYTHONS):
        if not os.path.exists(python):
            continue
        version = _version(python)
        if version and os.path.isdir(os.path.join(BUILD, "recorder", version)):
            found.append(python)
    return found


PYTHONS = _pythons()


def pytest_generate_tests(metafunc):
    if "python" in metafunc.fixturenames:
        metafunc.parametrize("python", PYTHONS, ids=[_version(p) for p in PYTHONS])


@pytest.fixture(scope="session")
def refscope():
    assert os.access(REFSCOPE, os.X_OK), "no refscope binary at %s (build it, or set REFSCOPE_BUILD_DIR)" % REFSCOPE
    return REFSCOPE


class Recorded:
    def __init__(self, trace, returncode, stdout, stderr):
        self.trace = trace
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def facts(self):
        """The JSON the program printed on its last line: CPython's own answers."""
        return json.loads(self.stdout.strip().splitlines()[-1])


@pytest.fixture
def record(refscope, tmp_path):
    def run(python, source, *extra, name="prog.trace", args=()):
        script = tmp_path / "prog.py"
        script.write_text(textwrap.dedent(source))
        trace = tmp_path / name
        proc = subprocess.run([refscope, "record", "-o", str(trace), *extra, "--", python, str(script), *args],
                              capture_output=True, text=True, cwd=tmp_path, timeout=300)
        return Recorded(trace, proc.returncode, proc.stdout, proc.stderr)
    return run


def refscope_json(*args):
    proc = subprocess.run([REFSCOPE, *args, "--format", "json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
