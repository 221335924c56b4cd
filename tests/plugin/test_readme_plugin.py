"""The README's walk-through of the pytest plugin prints what the plugin prints today.

The block whose first line is `$ cd examples/pytest-suite && python3 -m pytest --refscope -q` is run on a copy of
examples/pytest-suite, with the installation's bin directory on PATH as after `cmake --install`. Addresses, trace
lines and timings differ from run to run and are compared as placeholders; everything else must be equal.
"""
import os
import re
import shutil
import subprocess

from conftest import MAIN_PYTHON, ROOT, lend_pytest

COMMAND = "$ cd examples/pytest-suite && python3 -m pytest --refscope -q"


def readme_block(first_line):
    text = (ROOT / "README.md").read_text()
    start = text.index("```\n" + first_line + "\n") + len("```\n" + first_line + "\n")
    return text[start:text.index("```\n", start)]


def normalized(text):
    text = re.sub(r"0x[0-9a-f]+@\d+", "0xADDR@LINE", text)
    text = re.sub(r"\b\d+\.\d+ ?s\b", "N.NNs", text)
    return text


def test_readme_walk_through(installed, tmp_path, tmp_path_factory):
    suite = tmp_path / "examples" / "pytest-suite"
    shutil.copytree(ROOT / "examples" / "pytest-suite", suite)
    site, _, _ = installed.site(MAIN_PYTHON)
    assert not lend_pytest(MAIN_PYTHON, tmp_path_factory.getbasetemp())
    env = {"PATH": "%s:/usr/bin:/bin" % installed.bin.parent, "HOME": str(tmp_path), "PYTHONPATH": str(site),
           "COLUMNS": "80", "PYTHONDONTWRITEBYTECODE": "1"}
    argv = COMMAND.split("&&", 1)[1].split()
    assert argv[0] == "python3"
    proc = subprocess.run([MAIN_PYTHON, *argv[1:]], cwd=suite, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert normalized(proc.stdout) == normalized(readme_block(COMMAND))
    assert (suite / "refscope-traces" / "test_app.py_test_login.trace.gz").is_file()
