"""refscope's leak gate for pytest: `python3 -m pytest --refscope` fails the tests that leak.

Installed with refscope (`cmake --install`), this module is a pytest plugin registered through the `pytest11`
entry point; it does nothing unless `--refscope` (or the ini option `refscope = true`) turns it on.

How a test is judged (CPython's `regrtest -R` judges a test module the same way):

1. The test runs as pytest runs it; that run decides its outcome and is the one reported. It also fills the
   caches the test fills once (functools.lru_cache, re's cache, a lazy import). A test that does not pass is
   not judged further.
2. It runs `warmups` + 1 more times while refscope records it (one trace a test), each run ended by a garbage
   collection and a marker `run`. refscope reads what is written so far: if no group of objects (type, site,
   kind) grew in the last of those runs, the first measured one, none grew in every measured run, and the test
   passes without the others.
3. Otherwise it runs `runs` - 1 more times, and `refscope check --repeat run --warmup WARMUPS` counts the groups
   that grew in every measured run: a cache that fills once stops growing, a leak does not. Over the limits, the
   test fails; its report lists each group and the path from an older root to one of its objects, and its trace
   is kept.

Between runs, what regrtest -R puts back is put back (_regrtest_state.py); a test that does not pass again is run
again from a fresh module (module and class set up for each run), as regrtest runs a whole module each time.

What it costs: a judged test runs 2 + warmups times, or 1 + warmups + runs when a group grew in its first
measured run; its recording starts with a snapshot of the whole heap and walks it again at every marker, and
refscope replays the trace once or twice: a cost that grows with the process's live objects.

A marker sets per-test limits, another exempts a test:

    @pytest.mark.refscope(kinds="unowned,cyclic", max_objects=10, max_bytes=4096, warmups=2, runs=5)
    @pytest.mark.refscope_exempt(reason="fills a process-wide pool on purpose")
"""

import gc
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
import warnings

import pytest
from _pytest.runner import runtestprotocol

from . import _leak_gate
from ._leak_gate import GateError, Limits, Refscope
from ._regrtest_state import RegrtestState, clear_caches

_DEFAULTS = Limits()

_OPTIONS = [
    # (option, ini name, ini type, help)
    ("--refscope-kinds", "refscope_kinds", "string",
     "leak kinds that fail a test: a comma list of unowned, retained, indirect, cyclic or all (default all)"),
    ("--refscope-max-objects", "refscope_max_objects", "string",
     "objects a test may add over its measured runs in groups that grew in every one (default none)"),
    ("--refscope-max-bytes", "refscope_max_bytes", "string",
     "bytes a test may add over its measured runs in groups that grew in every one (default none)"),
    ("--refscope-warmups", "refscope_warmups", "string",
     "runs not measured before the measured ones, when a test is run again (default %d)" % _DEFAULTS.warmups),
    ("--refscope-runs", "refscope_runs", "string",
     "measured runs when a test is run again; a group must grow in each (default %d)" % _DEFAULTS.runs),
]


def pytest_addoption(parser):
    group = parser.getgroup("refscope", "refscope leak gate")
    group.addoption("--refscope", action="store_true", default=None,
                    help="fail the tests that leak Python objects (refscope's leak gate)")
    parser.addini("refscope", "turn refscope's leak gate on, as --refscope does", type="bool", default=False)
    for option, ini, kind, text in _OPTIONS:
        group.addoption(option, dest=ini, metavar=option.rsplit("-", 1)[-1].upper(), default=None, help=text)
        parser.addini(ini, text, type=kind, default=None)
    group.addoption("--refscope-keep", dest="refscope_keep", metavar="DIR", default=None,
                    help="where the traces of failing tests are kept (default refscope-traces in the rootdir)")
    parser.addini("refscope_keep", "where the traces of failing tests are kept, relative to the ini file",
                  default=None)
    group.addoption("--refscope-suppressions", dest="refscope_suppressions", metavar="FILE", action="append",
                    default=[], help="a refscope suppression file (leak:GLOB lines); repeatable")
    parser.addini("refscope_suppressions", "refscope suppression files, relative to the ini file", type="paths",
                  default=[])
    group.addoption("--refscope-binary", dest="refscope_binary", metavar="PATH", default=None,
                    help="the refscope program (default: the one installed with this plugin, else PATH)")
    parser.addini("refscope_binary", "the refscope program", default=None)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "refscope(kinds=, max_objects=, max_bytes=, warmups=, runs=): this test's limits for refscope's leak gate")
    config.addinivalue_line("markers", "refscope_exempt(reason=None): refscope's leak gate does not judge this test")
    enabled = config.getoption("refscope")
    if enabled is None:
        enabled = config.getini("refscope")
    if enabled:
        config.pluginmanager.register(LeakGate(config), "refscope-leak-gate")


def _setting(config, name):
    value = config.getoption(name)
    if value is None:
        value = config.getini(name)
    return value if value not in ("", None) else None


def _ini_dir(config):
    inipath = getattr(config, "inipath", None)
    return os.path.dirname(os.fspath(inipath)) if inipath else os.fspath(config.rootpath)


def _path_setting(config, name):
    """A path from the command line is relative to where pytest was started, from the ini file to that file."""
    value = config.getoption(name)
    if value is not None:
        return os.path.join(os.fspath(config.invocation_params.dir), value)
    value = config.getini(name)
    if value:
        return os.path.join(_ini_dir(config), value)
    return None


def _find_refscope(config):
    given = _setting(config, "refscope_binary")
    if given:
        # A bare name is looked up on PATH; a path is relative to where it was given.
        explicit = shutil.which(given) if os.sep not in given else _path_setting(config, "refscope_binary")
        if not explicit or not os.access(explicit, os.X_OK):
            raise pytest.UsageError("refscope: %s is not an executable program (--refscope-binary)" % given)
        return explicit
    try:
        from . import _program
        beside = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(_program.__file__)),
                                               _program.REFSCOPE))
        if os.access(beside, os.X_OK):
            return beside
    except ImportError:
        pass
    found = shutil.which("refscope")
    if found:
        return found
    raise pytest.UsageError("refscope: no refscope program beside this plugin nor on PATH; "
                            "give it with --refscope-binary PATH")


def _trace_name(nodeid):
    """A file name for a test's trace: its node id with the characters a file name should not hold replaced."""
    name = re.sub(r"[^A-Za-z0-9_.\-\[\]=]+", "_", nodeid).strip("._") or "test"
    if len(name) > 120:
        name = name[:100] + "_" + hashlib.sha1(nodeid.encode()).hexdigest()[:12]
    return name + ".trace"


class _HarnessState:
    """What pytest's own machinery appends to on each run of a test, taken before a run the plugin adds and put
    back after it, so that the extra runs leave nothing of pytest's behind and show nothing twice:

    - the captured output kept on the item, its user properties, the warnings recorded for the test and the
      terminal's list of them, sys.last_*;
    - finalizers on higher-scoped fixtures and nodes: pytest 7 adds one to a session- or module-scoped fixture
      (and to its node) each time a test uses it, directly or through a function-scoped fixture (tmp_path on
      tmp_path_factory), and keeps them until that fixture ends; each holds the run's fixture requests.
    Lists are cut back to their length before the run, and only when they are still the same list (a fixture that
    ended and started again within the run has a new one, which stays as it is)."""

    _LAST = ("last_type", "last_value", "last_traceback")

    def __init__(self, item):
        self.item = item
        lists = [getattr(item, "_report_sections", None), getattr(item, "user_properties", None)]
        terminal = item.config.pluginmanager.get_plugin("terminalreporter")
        self.stats = getattr(terminal, "stats", None)
        self.had_warnings = self.stats is not None and "warnings" in self.stats
        if self.had_warnings:
            lists.append(self.stats["warnings"])
        # The warnings recorded by the catch_warnings(record=True) pytest holds open around the whole test, which
        # pytest reports when the test ends: the runs added would report theirs again.
        lists.append(getattr(getattr(warnings, "_showwarnmsg_impl", None), "__self__", None))
        stack = getattr(getattr(item.session, "_setupstate", None), "stack", None) or {}
        for node, entry in stack.items():
            if node is not item and isinstance(entry, tuple) and entry:
                lists.append(entry[0])
        self.fixturedefs = []
        info = getattr(item, "_fixtureinfo", None)
        for defs in (getattr(info, "name2fixturedefs", None) or {}).values():
            for fixturedef in defs:
                finalizers = getattr(fixturedef, "_finalizers", None)
                if isinstance(finalizers, list):
                    self.fixturedefs.append((fixturedef, finalizers, len(finalizers)))
        self.lists = [(lst, len(lst)) for lst in lists if isinstance(lst, list)]
        self.last = {name: getattr(sys, name) for name in self._LAST if hasattr(sys, name)}

    def restore(self):
        for lst, length in self.lists:
            del lst[length:]
        for fixturedef, finalizers, length in self.fixturedefs:
            if getattr(fixturedef, "_finalizers", None) is finalizers:
                del finalizers[length:]
        if self.stats is not None and not self.had_warnings:
            self.stats.pop("warnings", None)
        for name in self._LAST:
            if name in self.last:
                setattr(sys, name, self.last[name])
            elif hasattr(sys, name):
                delattr(sys, name)


class _RunFailed(Exception):
    """A run the plugin added did not pass, so the test cannot be judged."""

    def __init__(self, run, text):
        super().__init__(run)
        self.run = run
        self.text = text


class LeakGate:
    """The plugin once --refscope is on: runs and judges each test (pytest_runtest_protocol)."""

    def __init__(self, config):
        import refscope_record  # the recorder: loaded only when the gate is on

        self.recorder = refscope_record
        self.config = config
        self.rootdir = os.fspath(config.rootpath)
        try:
            self.defaults = Limits(**{name: _setting(config, "refscope_" + name) or getattr(_DEFAULTS, name)
                                      for name in Limits.FIELDS})
        except ValueError as exc:
            raise pytest.UsageError("refscope: %s" % exc) from None
        self.binary = _find_refscope(config)
        self.refscope_version = None
        suppressions = [os.path.join(os.fspath(config.invocation_params.dir), p)
                        for p in config.getoption("refscope_suppressions")]
        suppressions += [os.fspath(p) for p in config.getini("refscope_suppressions")]
        for path in suppressions:
            if not os.path.isfile(path):
                raise pytest.UsageError("refscope: no suppression file %s" % path)
        self.refscope = Refscope(self.binary, suppressions)
        self.keep_dir = _path_setting(config, "refscope_keep") or os.path.join(self.rootdir, "refscope-traces")
        self.work_dir = None
        self.doctest_globs = None
        self.test_runs = 0
        self.judged = self.run_again = self.failed = self.from_fresh_module = 0
        self.seconds = 0.0
        self.kept = []

    # -- session ------------------------------------------------------------------------------------------------

    def pytest_sessionstart(self, session):
        if self.recorder.is_recording():
            raise pytest.UsageError("refscope: --refscope records each test itself; run pytest without "
                                    "`refscope record` (or without --refscope, and mark the trace yourself)")
        try:
            self.refscope_version = self.refscope.version()
        except GateError as exc:
            raise pytest.UsageError("refscope: %s" % exc) from None
        self.work_dir = tempfile.mkdtemp(prefix="refscope-pytest-")

    def pytest_sessionfinish(self, session):
        if self.work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        problems = []
        for item in items:
            try:
                self.limits_for(item)
            except ValueError as exc:
                problems.append("%s: %s" % (item.nodeid, exc))
        if problems:
            raise pytest.UsageError("refscope: bad @pytest.mark.refscope:\n  " + "\n  ".join(problems))

    def pytest_report_header(self, config):
        return "refscope: leak gate on (%s); %s" % (self.defaults.describe(), self.binary)

    def pytest_terminal_summary(self, terminalreporter):
        if not self.judged:
            return
        terminalreporter.write_sep("-", "refscope leak gate")
        terminalreporter.write_line(
            "%d test%s judged, %d run past the first measured run (a group grew in it), %d failed; %.1f s judging"
            % (self.judged, "" if self.judged == 1 else "s", self.run_again, self.failed, self.seconds))
        if self.from_fresh_module:
            terminalreporter.write_line("%d test%s run again from a fresh module (module and class set up for each "
                                        "run, as regrtest -R runs a whole module): they did not pass again otherwise"
                                        % (self.from_fresh_module, "" if self.from_fresh_module == 1 else "s"))
        for path in self.kept:
            terminalreporter.write_line("trace kept: %s" % _leak_gate.shown_path(path))

    # -- one test -----------------------------------------------------------------------------------------------

    def limits_for(self, item):
        """The defaults, changed by the test's refscope markers (the closest first: function, class, module)."""
        changes = {}
        for marker in item.iter_markers("refscope"):
            if marker.args:
                raise ValueError("@pytest.mark.refscope takes keywords only (%s)" % ", ".join(Limits.FIELDS))
            for name, value in marker.kwargs.items():
                if name not in Limits.FIELDS:
                    raise ValueError("@pytest.mark.refscope has no %r (it takes %s)" % (name, ", ".join(Limits.FIELDS)))
                changes.setdefault(name, value)
        return self.defaults.replace(**changes)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if item.get_closest_marker("refscope_exempt") is not None:
            return None  # pytest's own protocol
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        # doctest clears a doctest's namespace when it has run it: the runs added get it back as it was.
        dtest = getattr(item, "dtest", None)
        self.doctest_globs = dict(dtest.globs) if isinstance(getattr(dtest, "globs", None), dict) else None
        reports = runtestprotocol(item, log=False, nextitem=nextitem)
        calls = [r for r in reports if r.when == "call"]
        if calls and all(r.passed for r in reports):
            started = time.perf_counter()
            try:
                self.judge(item, nextitem, calls[0])
            finally:
                self.seconds += time.perf_counter() - started
        self.doctest_globs = None
        for report in reports:
            ihook.pytest_runtest_logreport(report=report)
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def judge(self, item, nextitem, call):
        self.judged += 1
        limits = self.limits_for(item)
        name = _trace_name(item.nodeid)
        trace = os.path.join(self.work_dir, name)
        fresh = False
        self.test_runs = 1  # the reported run; the runs added count on from it
        try:
            try:
                complete = self.record(item, nextitem, trace, limits, fresh)
            except _RunFailed:
                complete = None  # retried below, outside this handler, so its errors are not chained to this one
            if complete is None:
                # regrtest -R runs a whole module each time, setUpModule and setUpClass included: a test may pass
                # again only from a fresh module (it counts on a module-level reset). Try that before giving up.
                fresh = True
                self.from_fresh_module += 1
                complete = self.record(item, nextitem, trace, limits, fresh)
            if not complete:
                os.unlink(trace)
                return
            if limits.runs > 1:
                self.run_again += 1
            verdict = self.refscope.repeat_verdict(trace, limits)
            if verdict.passed:
                os.unlink(trace)
                return
            verdict.trace = _leak_gate.keep_trace(trace, self.keep_dir, name)
            self.kept.append(verdict.trace)
            self.refscope.find_holders(verdict)
        except GateError as exc:
            self._fail(call, "refscope could not judge this test: %s" % exc)
            return
        except _RunFailed as exc:
            self._fail(call, "refscope: this test did not pass when run again (its run %d), even with its module and "
                             "class set up afresh for each run, so a leak cannot be told from a cache; mark it "
                             "@pytest.mark.refscope_exempt if it cannot run twice. That run's report:\n\n%s"
                             % (exc.run, exc.text))
            return
        # The commands the report suggests call refscope as the user would: by name when PATH finds this one.
        named = "refscope" if shutil.which("refscope") == self.binary else self.binary
        text = _leak_gate.describe_failure(verdict, self.rootdir, named)
        if fresh:
            text += ("\n(This test passes when run again only from a fresh module: each run had its module and class "
                     "set up afresh, as regrtest -R runs a whole module.)")
        self._fail(call, text)

    def _fail(self, call, text):
        self.failed += 1
        call.outcome = "failed"
        call.longrepr = text

    def record(self, item, nextitem, trace, limits, fresh):
        """Runs the test warmups + runs more times while recording into `trace`, each run ended by a collection
        and a marker (and, when `fresh`, begun from a fresh module). After the first measured run, refscope reads
        what is written so far: when no group grew in it, none grew in every measured run, so the test passes
        whatever the later runs do: they are left out, and this returns False. True: the trace holds every run,
        and wants a verdict."""
        clear_caches()  # as after each run, so that the first starts as the others (warnings shown again, say)
        gc.collect()
        try:
            self.recorder.start(trace, root=self.rootdir)
        except (RuntimeError, OSError, ValueError) as exc:  # another tool holds the allocator, a full disk...
            raise GateError("cannot start recording: %s" % exc) from None
        try:
            first_measured = limits.warmups + 1
            self._runs(item, nextitem, first_measured, fresh)
            if limits.runs == 1:
                return True
            if not self.refscope.grew_in_first_measured_run(trace, limits):
                return False
            self._runs(item, nextitem, limits.runs - 1, fresh)
            return True
        finally:
            # The verdict reads no further than the last run's marker: no last checkpoint (it would cost a walk of
            # the heap per test and tell nothing).
            self.recorder.stop(None)

    def _runs(self, item, nextitem, count, fresh):
        # Nothing of this loop may be alive at a marker but small ints: what is would be in the window.
        while count > 0:
            count -= 1
            self.test_runs += 1
            self._run_once(item, nextitem, self.test_runs, fresh)
            self.recorder.mark(_leak_gate.RUN_LABEL, collect=True)

    def _run_once(self, item, nextitem, run, fresh):
        if fresh:
            try:
                _teardown_to_session(item)
            except Exception as exc:
                raise _RunFailed(run, "tearing down its module raised %r" % exc) from None
        if self.doctest_globs is not None:
            item.dtest.globs.update(self.doctest_globs)
        harness = _HarnessState(item)
        regrtest = RegrtestState()
        reports = runtestprotocol(item, log=False, nextitem=nextitem)
        harness.restore()
        regrtest.restore()
        if not all(r.passed for r in reports):
            raise _RunFailed(run, next(r for r in reports if not r.passed).longreprtext)


class _SessionOnly:
    """What SetupState.teardown_exact() asks of the next item: the nodes to keep set up (the session alone)."""

    def __init__(self, session):
        self.session = session

    def listchain(self):
        return [self.session]


def _teardown_to_session(item):
    """Tears down what the session holds set up below itself (the module, the class), as if the next test were
    in another module: the next run sets them up again."""
    item.session._setupstate.teardown_exact(_SessionOnly(item.session))
