"""Fixtures for the tests of refscope's pytest plugin: the build installed with `cmake --install` into a scratch
DESTDIR (prefix /usr/local), and a helper that runs an interpreter's pytest on a small suite with that
installation's site directory on PYTHONPATH (the only thing a DESTDIR cannot give: a real installation under
/usr/local is found with no environment at all, which test_install.py proves in a private mount namespace).

Environment: REFSCOPE_BUILD_DIR (default build/ beside tests/) holds refscope and recorder/X.Y/;
REFSCOPE_TEST_PYTHONS is a :-list of interpreters (default /usr/bin/python3 and pyenv's 3.13.0, each when a
recorder was built for it; 3.12's recorder does not yet record faithfully enough to judge tests). An interpreter without pytest of its own borrows Debian's pure-Python pytest
(/usr/lib/python3/dist-packages) through a directory of links; one that has neither is left out, and said so.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = pathlib.Path(os.environ.get("REFSCOPE_BUILD_DIR", ROOT / "build"))
SUITE = HERE / "suite"
PREFIX = "/usr/local"
DEFAULT_PYTHONS = ["/usr/bin/python3", "/root/.pyenv/versions/3.13.0/bin/python3"]
DEBIAN_DIST_PACKAGES = pathlib.Path("/usr/lib/python3/dist-packages")
PYTEST_PARTS = ["pytest", "_pytest", "py.py", "pluggy", "iniconfig", "packaging", "attr", "attrs"]


def version_of(python):
    out = subprocess.run([python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def _pythons():
    wanted = os.environ.get("REFSCOPE_TEST_PYTHONS")
    found = []
    for python in (wanted.split(":") if wanted else DEFAULT_PYTHONS):
        if os.path.exists(python):
            version = version_of(python)
            if version and (BUILD / "recorder" / version).is_dir():
                found.append(python)
    return found


PYTHONS = _pythons()
collect_ignore = ["suite"]  # the suite the plugin judges, run by the tests, not part of them
MAIN_PYTHON = "/usr/bin/python3"


def pytest_generate_tests(metafunc):
    if "python" in metafunc.fixturenames:
        metafunc.parametrize("python", PYTHONS, ids=[version_of(p) for p in PYTHONS])


def pytest_report_header(config):
    return "refscope plugin tests: build %s; interpreters %s" % (BUILD, ", ".join(PYTHONS) or "none")


class Installed:
    """The build installed into DESTDIR with prefix /usr/local."""

    def __init__(self, destdir):
        self.destdir = pathlib.Path(destdir)
        self.bin = self.destdir / PREFIX.lstrip("/") / "bin" / "refscope"

    def site(self, python):
        """The directory the installation put refscope_record in for this interpreter (under DESTDIR)."""
        out = subprocess.run([python, "-I", str(ROOT / "recorder" / "install" / "python_site.py"), "where", PREFIX],
                             capture_output=True, text=True, check=True)
        where, searched = out.stdout.split()
        return self.destdir / where.lstrip("/"), where, searched == "searched"


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    destdir = tmp_path_factory.mktemp("destdir")
    proc = subprocess.run(["cmake", "--install", str(BUILD), "--prefix", PREFIX], capture_output=True, text=True,
                          env=dict(os.environ, DESTDIR=str(destdir)), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Installed(destdir)


def lend_pytest(python, scratch):
    """'' when the interpreter has pytest, else a directory that lends it Debian's (pure Python) pytest."""
    has = subprocess.run([python, "-I", "-c", "import pytest"], capture_output=True)
    if has.returncode == 0:
        return ""
    if not (DEBIAN_DIST_PACKAGES / "_pytest").is_dir():
        pytest.skip("%s has no pytest, and there is no Debian pytest to lend it" % python)
    lend = pathlib.Path(scratch) / "lent-pytest"
    if not lend.is_dir():
        lend.mkdir(parents=True)
        for entry in DEBIAN_DIST_PACKAGES.iterdir():
            base = entry.name.split("-")[0].split(".")[0]
            if entry.name in PYTEST_PARTS or (entry.suffix in (".dist-info", ".egg-info") and base in PYTEST_PARTS):
                (lend / entry.name).symlink_to(entry)
    return str(lend)


class PytestRun:
    def __init__(self, proc, junit, workdir):
        self.status = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.workdir = workdir
        self.outcomes = {}
        self.failures = {}
        if junit.exists():
            for case in ElementTree.parse(junit).getroot().iter("testcase"):
                name = case.get("name")
                failure = case.find("failure")
                error = case.find("error")
                skipped = case.find("skipped")
                if failure is not None:
                    self.outcomes[name] = "failed"
                    self.failures[name] = (failure.get("message") or "") + "\n" + (failure.text or "")
                elif error is not None:
                    self.outcomes[name] = "error"
                    self.failures[name] = error.text or ""
                elif skipped is not None:
                    self.outcomes[name] = "skipped"
                else:
                    self.outcomes[name] = "passed"

    def __repr__(self):
        return "exit %d\n%s" % (self.status, self.output)


@pytest.fixture
def run_pytest(installed, tmp_path, tmp_path_factory):
    """Runs PYTHON -m pytest in a copy of the suite (or of the files given), with only the installation's site
    directory on PYTHONPATH and no refscope on PATH: the plugin finds the program it was installed with."""
    scratch = tmp_path_factory.getbasetemp()

    def run(python, *args, files=None, ini=None, env=None, cwd=None):
        workdir = tmp_path / "work"
        if not workdir.exists():
            if files is None:
                shutil.copytree(SUITE, workdir)
            else:
                workdir.mkdir()
        for name, text in (files or {}).items():
            (workdir / name).write_text(text)
        if ini is not None:
            (workdir / "pytest.ini").write_text(ini)
        site, _, _ = installed.site(python)
        path = [str(site)]
        lent = lend_pytest(python, scratch)
        if lent:
            path.append(lent)
        junit = tmp_path / "junit.xml"
        environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": os.pathsep.join(path),
                       "PYTHONDONTWRITEBYTECODE": "1"}
        environment.update(env or {})
        command = [python, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml", str(junit), "-o",
                   "junit_family=xunit1", *args]
        proc = subprocess.run(command, capture_output=True, text=True, cwd=cwd or workdir, env=environment,
                              timeout=900)
        return PytestRun(proc, junit, workdir)
    return run


def leak_line(path, tag):
    """The line of `# LEAK: tag` in a suite file: where the leak is allocated."""
    for number, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        if line.rstrip().endswith("# LEAK: " + tag):
            return number
    raise AssertionError("no '# LEAK: %s' in %s" % (tag, path))


def refscope_json(binary, *args):
    proc = subprocess.run([str(binary), *map(str, args), "--format", "json"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
