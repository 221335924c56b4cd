"""refscope's pytest plugin on small suites: ordinary tests pass, tests made to leak fail naming the line that
allocated the leak, and markers, options and ini settings change what is judged and how."""
import re
import subprocess

import pytest

from conftest import MAIN_PYTHON, SUITE, leak_line, refscope_json, version_of

ORDINARY = ["test_json_round_trip", "test_re_cache_fills_once", "test_lru_cache_fills_once",
            "test_handled_exceptions", "test_lazy_import", "test_output_logging_and_warnings", "test_tmp_path",
            "test_parametrized[1-1]", "test_parametrized[[2]-expected1]", "test_module_fixture",
            "test_asyncio_run", "test_pickle_reducer_for_a_local_class", "test_lookups_by_made_names", "test_items", "test_data", "textutil.shout"]

# On 3.11 an object of these types that CPython hands out again from its freelist passes no allocator, so the
# recorder may not know the line that allocated it: its site is `?`, and the path to it names what holds it.
FREELISTED = {"builtins.dict", "builtins.list", "builtins.tuple"}


def groups_in(failure):
    """The leak groups of a failure text: (kind, type, site) per row of its table."""
    rows = re.findall(r"^  (unowned|retained|indirect|cyclic) +(\S+) +(.+?\S) +[\d,]+ +[\d,]+ +[-+\d ]+$",
                      failure, re.M)
    return [(kind, type_, site) for kind, type_, site in rows]


def test_ordinary_tests_pass_and_leaks_fail_at_their_line(python, run_pytest, installed):
    result = run_pytest(python, "--refscope", "--refscope-keep=kept", "--doctest-modules")
    version = version_of(python)
    for name in ORDINARY:
        assert result.outcomes.get(name) == "passed", (name, result.failures.get(name), result)

    leaks = SUITE / "test_leaks.py"
    expected = {
        "test_registry_grows_every_call": ("retained", "builtins.dict", leak_line(leaks, "registry")),
        "test_forgotten_incref": ("unowned", "test_leaks.Handle", leak_line(leaks, "incref")),
    }
    for name, (kind, type_, line) in expected.items():
        assert result.outcomes.get(name) == "failed", result
        failure = result.failures[name]
        site = "test_leaks.py:%d in %s" % (line, name)
        sites = {site}
        if version == "3.11" and type_ in FREELISTED:
            sites.add("?")
        assert any((kind, type_, s) in groups_in(failure) for s in sites), failure
        assert "+1 +1 +1" in failure  # one object a run, in each of the three measured runs
    # The retained one shows what holds it: a path from an older root, ending at the leaked dict.
    registry = result.failures["test_registry_grows_every_call"]
    assert re.search(r"What holds them.*\n.*:\n       (\S+ 0x\S+( \(.*\))?|\[held by [^\]\n]+\])\n(    -> \S+ 0x\S+( \(.*\))?\n)*"
                     r"    -> builtins\.dict 0x[0-9a-f]+@\d+\n",
                     registry), registry
    assert "2 failed, %d passed" % len(ORDINARY) in result.output, result.output

    # The kept trace answers refscope's questions afterwards.
    trace = re.search(r"Trace kept: (\S+)", registry).group(1)
    assert trace.startswith("kept/") and (result.workdir / trace).is_file(), trace  # relative to where pytest ran
    why = re.search(r"why (\S+) (0x[0-9a-f]+@\d+) --at (\S+)", registry)
    answer = refscope_json(installed.bin, "why", result.workdir / why.group(1), why.group(2), "--at", why.group(3))
    assert answer["target"]["type"] == "builtins.dict", answer
    assert answer["paths"], answer
    # Only the two leaking tests grew in their first measured run: the others ran twice more, not four times.
    summary = re.search(r"(\d+) tests judged, (\d+) run past", result.output)
    assert summary and summary.groups() == (str(len(ORDINARY) + 2), "2"), result.output


def test_plain_pytest_loads_the_plugin_and_judges_nothing(run_pytest):
    result = run_pytest(MAIN_PYTHON)
    assert result.status == 0, result
    assert "refscope-record" in result.output  # the plugins line: loaded through its pytest11 entry point
    assert "refscope leak gate" not in result.output
    assert set(result.outcomes.values()) == {"passed"}, result


LIMITS_SUITE = '''
import pytest

REGISTRY = []


def leak_one():
    REGISTRY.append({"n": len(REGISTRY)})


def fill(cache, size):
    # A cache that fills over `size` calls, then stops growing.
    if len(cache) < size:
        cache.append(object())


@pytest.mark.refscope_exempt(reason="leaks on purpose")
def test_exempt():
    leak_one()


@pytest.mark.refscope(kinds="unowned,cyclic")
def test_retained_not_gated():
    leak_one()


@pytest.mark.refscope(max_objects=3)
def test_three_objects_allowed():
    leak_one()  # one a run: three over the three measured runs


@pytest.mark.refscope(max_objects=2)
def test_two_objects_allowed():
    leak_one()


@pytest.mark.refscope(max_bytes=100000)
def test_bytes_allowed():
    leak_one()


CACHE_A, CACHE_B, CACHE_C = [], [], []


def test_cache_filling_over_four_calls():
    # run 1 (reported), warm-up, then measured runs that grow, grow, stay: not every measured run grows
    fill(CACHE_A, 4)


@pytest.mark.refscope(runs=2)
def test_same_cache_two_measured_runs():
    # run 1, warm-up, then two measured runs that both grow
    fill(CACHE_B, 4)


@pytest.mark.refscope(warmups=3, runs=2)
def test_same_cache_three_warmups():
    # run 1, three warm-ups fill it, the measured runs do not grow
    fill(CACHE_C, 4)
'''


def test_markers_set_limits_and_exempt(run_pytest):
    result = run_pytest(MAIN_PYTHON, "--refscope", files={"test_limits.py": LIMITS_SUITE})
    expected = {
        "test_exempt": "passed",
        "test_retained_not_gated": "passed",
        "test_three_objects_allowed": "passed",
        "test_two_objects_allowed": "failed",
        "test_bytes_allowed": "passed",
        "test_cache_filling_over_four_calls": "passed",
        "test_same_cache_two_measured_runs": "failed",
        "test_same_cache_three_warmups": "passed",
    }
    assert result.outcomes == expected, result
    assert "at most 2 objects" in result.failures["test_two_objects_allowed"]
    assert "+1 +1" in result.failures["test_same_cache_two_measured_runs"]
    assert re.search(r"\b7 tests judged", result.output), result.output  # all but the exempt one


TWO_LEAKS = '''
import ctypes

REGISTRY = []


class Handle:
    pass


def test_retained():
    REGISTRY.append(Handle())


def test_unowned():
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(Handle()))
'''


def test_command_line_and_ini_defaults(run_pytest):
    # The command line sets the kinds for every test.
    result = run_pytest(MAIN_PYTHON, "--refscope", "--refscope-kinds=unowned", files={"test_two.py": TWO_LEAKS})
    assert result.outcomes == {"test_retained": "passed", "test_unowned": "failed"}, result
    # The ini file turns the gate on and sets the kinds; the command line wins over it.
    ini = "[pytest]\nrefscope = true\nrefscope_kinds = retained\nrefscope_runs = 2\n"
    result = run_pytest(MAIN_PYTHON, files={"test_two.py": TWO_LEAKS}, ini=ini)
    assert result.outcomes == {"test_retained": "failed", "test_unowned": "passed"}, result
    assert "1 warm-up run, 2 measured" in result.failures["test_retained"]
    result = run_pytest(MAIN_PYTHON, "--refscope-max-objects=5", files={"test_two.py": TWO_LEAKS}, ini=ini)
    assert result.outcomes == {"test_retained": "passed", "test_unowned": "passed"}, result


def test_suppressions_from_the_command_line_and_ini(run_pytest, tmp_path):
    # A file is named relative to pytest's rootdir (where pytest.ini is), wherever pytest runs from: here tests/
    tests = tmp_path / "work" / "tests"
    tests.mkdir(parents=True)
    supp = "# what this suite leaks on purpose\nleak:tests/test_two.py\n"
    result = run_pytest(MAIN_PYTHON, "--refscope", "--refscope-suppressions=../leaks.supp", cwd=tests, ini="[pytest]\n",
                        files={"tests/test_two.py": TWO_LEAKS, "leaks.supp": supp})
    assert result.outcomes == {"test_retained": "passed", "test_unowned": "passed"}, result
    result = run_pytest(MAIN_PYTHON, "--refscope", cwd=tests, ini="[pytest]\nrefscope_suppressions = leaks.supp\n")
    assert result.outcomes == {"test_retained": "passed", "test_unowned": "passed"}, result


def test_usage_errors_stop_the_session(run_pytest):
    bad = "import pytest\n\n@pytest.mark.refscope(runs=0)\ndef test_a():\n    pass\n\n" \
          "@pytest.mark.refscope(colour='red')\ndef test_b():\n    pass\n"
    result = run_pytest(MAIN_PYTHON, "--refscope", files={"test_bad.py": bad})
    assert result.status == 4, result  # pytest's usage error
    assert "test_bad.py::test_a: runs: expected a whole number of at least 1, not 0" in result.output, result
    assert "test_bad.py::test_b: @pytest.mark.refscope has no 'colour'" in result.output, result
    result = run_pytest(MAIN_PYTHON, "--refscope", "--refscope-kinds=leaky")
    assert result.status == 4 and "kinds: expected a comma list" in result.output, result
    result = run_pytest(MAIN_PYTHON, "--refscope", "--refscope-binary=/nonexistent/refscope")
    assert result.status == 4 and "/nonexistent/refscope is not an executable program" in result.output, result
    result = run_pytest(MAIN_PYTHON, "--refscope", "--refscope-suppressions=missing.supp")
    assert result.status == 4 and "no suppression file" in result.output, result


ORDER_DEPENDENT = '''
STATE = []


def test_fails_on_its_own():
    assert 1 + 1 == 3


def test_passes_only_once():
    STATE.append(1)
    assert len(STATE) == 1
'''


def test_failing_tests_keep_their_own_report(run_pytest):
    result = run_pytest(MAIN_PYTHON, "--refscope", files={"test_order.py": ORDER_DEPENDENT})
    assert result.outcomes == {"test_fails_on_its_own": "failed", "test_passes_only_once": "failed"}, result
    assert "assert (1 + 1) == 3" in result.failures["test_fails_on_its_own"]
    assert "refscope" not in result.failures["test_fails_on_its_own"]
    once = result.failures["test_passes_only_once"]
    # its run 2 failed; so did run 3, the first from a fresh module (the list is module state no setup resets)
    assert "did not pass when run again (its run 3), even with its module and class set up afresh" in once, once
    assert "assert 3 == 1" in once, once


FRESH_MODULE = '''
import unittest

import pytest

USES = {"n": 0}
TABLE = []


def setUpModule():
    USES["n"] = 0


@pytest.fixture(scope="module")
def table():
    TABLE.clear()
    yield TABLE


class FirstUse(unittest.TestCase):
    def test_first_use_since_module_setup(self):
        USES["n"] += 1
        self.assertEqual(USES["n"], 1)


def test_first_row(table):
    table.append(object())
    assert len(table) == 1


class LeaksToo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.calls = 0

    def test_leaks_from_a_fresh_module_too(self):
        type(self).calls += 1
        REGISTRY.append(object())
        self.assertEqual(type(self).calls, 1)

    def test_other(self):
        # the class stays set up after the test above: only a fresh class resets its count
        pass


REGISTRY = []
'''


def test_tests_that_pass_again_only_from_a_fresh_module(run_pytest):
    # As regrtest -R runs a whole module (setUpModule, module fixtures) for each run, the gate sets a test's module
    # up afresh for each run when the test does not pass again otherwise; it still finds a leak then.
    result = run_pytest(MAIN_PYTHON, "--refscope", files={"test_fresh.py": FRESH_MODULE})
    assert result.outcomes == {"test_first_use_since_module_setup": "passed", "test_first_row": "passed",
                               "test_leaks_from_a_fresh_module_too": "failed", "test_other": "passed"}, result
    failure = result.failures["test_leaks_from_a_fresh_module_too"]
    assert re.search(r"retained +builtins\.object +test_fresh\.py:\d+ in LeaksToo\.test_leaks_from_a_fresh_module_too",
                     failure), failure
    assert "only from a fresh module" in failure, failure
    assert "3 tests run again from a fresh module" in result.output, result.output


def test_refuses_to_run_under_refscope_record(run_pytest, installed):
    result = run_pytest(MAIN_PYTHON, files={"test_two.py": TWO_LEAKS})  # creates the work directory
    proc = subprocess.run([str(installed.bin), "record", "-o", "suite.trace", "--", MAIN_PYTHON, "-m", "pytest",
                           "-p", "no:cacheprovider", "--refscope"], capture_output=True, text=True,
                          cwd=result.workdir, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(installed.site(MAIN_PYTHON)[0])})
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "--refscope records each test itself" in proc.stdout + proc.stderr
