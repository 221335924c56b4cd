"""The plugin's verdicts agree with CPython's own: `regrtest -R 3:3` on Debian's debug interpreter
(python3.11-dbg, which counts every reference) against `python3 -m pytest --refscope` on the release one, for real
stdlib test modules (libpython3.11-testsuite) and for a module made to leak, test by test.

REFSCOPE_REGRTEST_MODULES (a comma list) replaces the stdlib modules compared; the default is a few that pytest
runs whole and that are quick, so that CI stays lean.
"""
import os
import pathlib
import re
import subprocess

import pytest

from conftest import HERE, MAIN_PYTHON, leak_line

DEBUG_PYTHON = "/usr/bin/python3.11-dbg"
STDLIB_TESTS = pathlib.Path("/usr/lib/python3.11/test")
MODULES = os.environ.get("REFSCOPE_REGRTEST_MODULES", "test_string,test_fnmatch,test_shlex").split(",")
MADE_TO_LEAK = HERE / "regrtest" / "test_made_to_leak.py"

pytestmark = pytest.mark.skipif(
    not os.access(DEBUG_PYTHON, os.X_OK) or not (STDLIB_TESTS / "libregrtest").is_dir(),
    reason="needs Debian's python3.11-dbg and libpython3.11-testsuite (tools/bootstrap installs them)")


def regrtest(module, cwd, testdir=None, match=None):
    """regrtest -R 3:3's verdict: the leak lines it printed (empty: no leak). It writes reflog.txt into `cwd`."""
    command = [DEBUG_PYTHON, "-m", "test", "-R", "3:3", module]
    if testdir:
        command += ["--testdir", str(testdir)]
    if match:
        command += ["-m", match]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=cwd)
    out = proc.stdout + proc.stderr
    leaks = re.findall(r"^\S+ leaked \[.*$", out, re.M)
    assert proc.returncode == (2 if leaks else 0), out  # a test that fails for another reason is no verdict
    return leaks


def gated_failures(result):
    """The tests the leak gate failed (its report starts with `refscope:`), and the tests that failed otherwise."""
    gate = {name for name, text in result.failures.items() if "refscope: leaks that grew" in text}
    other = {name for name in result.failures if name not in gate}
    return gate, other


@pytest.mark.parametrize("module", MODULES)
def test_stdlib_module_verdicts_agree(module, run_pytest, tmp_path):
    leaks = regrtest(module, tmp_path)
    result = run_pytest(MAIN_PYTHON, "--refscope", "--refscope-keep=kept", str(STDLIB_TESTS / (module + ".py")),
                        files={})
    gate, other = gated_failures(result)
    assert not other, result  # the module runs whole under pytest, or it is no comparison
    assert bool(gate) == bool(leaks), (leaks, gate, result)


def test_module_made_to_leak_agrees_test_by_test(run_pytest, tmp_path):
    names = ["test_sorting_is_clean", "test_registry_grows", "test_forgotten_incref", "test_cache_fills_once"]
    by_regrtest = {name for name in names if regrtest("test_made_to_leak", tmp_path, MADE_TO_LEAK.parent, name)}
    assert by_regrtest == {"test_registry_grows", "test_forgotten_incref"}
    result = run_pytest(MAIN_PYTHON, "--refscope", files={"test_made_to_leak.py": MADE_TO_LEAK.read_text()})
    gate, other = gated_failures(result)
    assert not other and gate == by_regrtest, result
    incref = result.failures["test_forgotten_incref"]
    site = "test_made_to_leak.py:%d in ExtensionTests.test_forgotten_incref" % leak_line(MADE_TO_LEAK, "incref")
    assert re.search(r"unowned +test_made_to_leak\.Handle +%s " % re.escape(site), incref), incref
    # The registry's dicts: on 3.11 a dict CPython hands out again from its freelist passes no allocator, so its
    # site may be unknown (`?`); the path from the module to the registry list still names what holds it.
    registry = result.failures["test_registry_grows"]
    site = "test_made_to_leak.py:%d in RegistryTests.test_registry_grows" % leak_line(MADE_TO_LEAK, "registry")
    assert re.search(r"retained +builtins\.dict +(%s|\?) " % re.escape(site), registry), registry
    assert re.search(r"-> builtins\.module .*\n.*\n    -> builtins\.list .*\n    -> builtins\.dict ", registry), registry
