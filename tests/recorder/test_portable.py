"""Baselines, suppressions and JUnit reports that mean the same in every checkout: a suite recorded in one
directory and checked against a baseline written for a copy of it in another, with its lines moved."""
import json
import subprocess
import xml.etree.ElementTree as ET

from conftest import REFSCOPE

REGISTRY = '''\
import ctypes
from fractions import Fraction


class Entry:
    __slots__ = ("n",)

    def __init__(self, n):
        self.n = n


KEPT = []


class Registry:
    def add(self, n):
        KEPT.append(Entry(n))  # retained: a module-level list that grows every call
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(Entry(n)))  # unowned: a forgotten reference
        KEPT.append(Fraction(n, 7))  # retained, allocated in the stdlib (Fraction.__new__)
'''

MAIN = '''\
import sys

import refscope_record
from app.registry import Registry

registry = Registry()
registry.add(-1)  # ctypes' and fractions' caches fill before the window
refscope_record.mark("before", collect=True)
for n in range(int(sys.argv[1])):
    registry.add(n)
refscope_record.mark("after", collect=True)
'''

GATE = ["--from", "before", "--at", "after", "--fail-on", "unowned,retained"]


def checkout(where, moved_by=0):
    """The project in `where`; `moved_by` comment lines at the top of registry.py move every line in it."""
    (where / "app").mkdir(parents=True)
    (where / "app" / "__init__.py").write_text("")
    (where / "app" / "registry.py").write_text("# edited\n" * moved_by + REGISTRY)
    (where / "main.py").write_text(MAIN)
    return where


def record(python, project, calls):
    trace = project.parent / ("%s-%d.trace" % (project.name, calls))
    proc = subprocess.run([REFSCOPE, "record", "-o", str(trace), "--", python, "main.py", str(calls)],
                          capture_output=True, text=True, cwd=project, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return trace


def check(trace, *args, cwd=None):
    proc = subprocess.run([REFSCOPE, "check", str(trace), *GATE, *args, "--format", "json"], capture_output=True,
                          text=True, timeout=300, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def line_of(path, text):
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def counted(report, type_name):
    return sum(g["counted_objects"] for g in report["groups"] if g["type"] == type_name)


def test_a_baseline_written_in_one_checkout_matches_a_moved_copy_in_another(python, tmp_path):
    laptop = checkout(tmp_path / "home" / "ann" / "app")
    ci = checkout(tmp_path / "ci" / "build-17", moved_by=3)
    baseline = tmp_path / "baseline.json"
    # Given a baseline written on the laptop, where 10 calls leak 10 Entries of each kind and 10 Fractions
    status, report = check(record(python, laptop, 10), "--write-baseline", str(baseline))
    assert status == 1
    written = baseline.read_text()
    assert str(tmp_path) not in written, written
    groups = json.loads(written)["groups"]
    sites = {(g["kind"], g["type"], g["site"]) for g in groups}
    assert ("retained", "app.registry.Entry", "app/registry.py in Registry.add") in sites, sites
    assert ("unowned", "app.registry.Entry", "app/registry.py in Registry.add") in sites, sites
    assert ("retained", "fractions.Fraction", "<stdlib>/fractions.py in Fraction.__new__") in sites, sites
    # When the same leak is checked in the other checkout, whose registry.py lines all moved
    status, report = check(record(python, ci, 10), "--baseline", str(baseline))
    # Then every group is within the baseline
    assert status == 0, report["reason"]
    assert report["totals"]["counted_objects"] == 0
    # And three more calls fail it by exactly what they added
    status, report = check(record(python, ci, 13), "--baseline", str(baseline))
    assert status == 1
    assert counted(report, "app.registry.Entry") == 6, report["groups"]
    assert counted(report, "fractions.Fraction") == 3, report["groups"]


def test_suppressions_name_files_relative_to_the_project_and_the_stdlib(python, tmp_path):
    ci = checkout(tmp_path / "ci" / "build-17", moved_by=3)
    trace = record(python, ci, 5)
    project = tmp_path / "project.supp"
    project.write_text("leak:app/registry.py\n")
    stdlib = tmp_path / "stdlib.supp"
    stdlib.write_text("leak:<stdlib>/fractions.py\n")
    status, report = check(trace, "--suppressions", str(stdlib))
    assert status == 1
    assert counted(report, "fractions.Fraction") == 0
    assert report["suppressions"][0]["objects"] == 5, report["suppressions"]
    status, report = check(trace, "--suppressions", str(project))
    assert status == 1
    assert report["totals"]["counted_objects"] == counted(report, "fractions.Fraction") == 5
    assert report["suppressions"][0]["objects"] == 10, report["suppressions"]
    status, report = check(trace, "--suppressions", str(project), "--suppressions", str(stdlib))
    assert status == 0, report["reason"]
    # --root moves the project root: the same line no longer matches
    status, report = check(trace, "--suppressions", str(project), "--root", str(ci / "app"))
    assert status == 1
    assert report["suppressions"][0]["objects"] == 0


def test_junit_has_a_failing_case_per_failing_group_with_file_and_line_and_one_passing_case(python, tmp_path):
    ci = checkout(tmp_path / "ci" / "build-17", moved_by=3)
    trace = record(python, ci, 4)
    junit = tmp_path / "leaks.xml"
    status, report = check(trace, "--junit", str(junit))
    assert status == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    failing = [c for c in cases if c.find("failure") is not None]
    passing = [c for c in cases if c.find("failure") is None and c.find("skipped") is None]
    failed_groups = [g for g in report["groups"] if g["fails"]]
    assert len(failing) == len(failed_groups) >= 3
    assert len(passing) == 1, [c.attrib for c in passing]
    assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == len(failing)
    registry = ci / "app" / "registry.py"
    where = {(c.get("classname"), c.get("file"), c.get("line")) for c in failing}
    assert ("refscope.leaks.retained", "app/registry.py", str(line_of(registry, "KEPT.append(Entry(n))"))) in where
    assert ("refscope.leaks.unowned", "app/registry.py", str(line_of(registry, "Py_IncRef"))) in where
    fraction = [c for c in failing if "fractions.Fraction" in c.get("name")]
    assert len(fraction) == 1 and fraction[0].get("file").endswith("/fractions.py")  # outside the project: as recorded
    assert int(fraction[0].get("line")) > 0
    names = {c.get("name") for c in failing}
    assert "app.registry.Entry at app/registry.py in Registry.add" in names, names
