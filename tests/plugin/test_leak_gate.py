"""The plugin's report and limits, from refscope's JSON as it is shaped (no recording, no pytest run): the parts
of the failure text that the suites' traces do not reach, such as a path held by one of the interpreter's named
roots, and the limits' checks."""
import importlib.util

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location(
    "leak_gate", ROOT / "recorder" / "python" / "refscope_record" / "_leak_gate.py")
leak_gate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(leak_gate)


def verdict(groups, warmups=1, runs=3):
    data = {"verdict": "fail", "reason": "FAIL: a reason", "repeat": {"iterations": warmups + runs},
            "groups": groups, "anomalies": 0}
    return leak_gate.Verdict(data, "/work/kept/t.trace.gz", leak_gate.Limits(warmups=warmups, runs=runs))


GROUP = {"type": "builtins.str", "site": "/proj/app.py:30 in handle", "kind": "retained", "objects": 3,
         "bytes": 168, "counted_objects": 3, "counted_bytes": 168, "growth": [2, 1, 1, 1], "fails": True}


def test_failure_shows_groups_relative_to_the_rootdir_and_the_measured_growth():
    text = leak_gate.describe_failure(verdict([GROUP, dict(GROUP, site="/elsewhere/lib.py:3 in f", fails=False)]),
                                      "/proj")
    assert "  retained  builtins.str  app.py:30 in handle        3    168  +1 +1 +1\n" in text  # warm-up left out
    assert "/elsewhere" not in text  # a group that does not fail is not listed
    assert "1 warm-up run, 3 measured" in text


def test_path_held_by_a_named_root_names_it():
    v = verdict([GROUP])
    v.groups[0].held_by = [{"address": "0x1000", "line": 17, "type": "builtins.dict"},
                           {"address": "0x5000", "line": 32, "type": "builtins.str"}]
    v.groups[0].roots = ["sys.modules"]
    v.groups[0].example = ("0x5000", 32)
    text = leak_gate.describe_failure(v, "/proj")
    assert ("  builtins.str at app.py:30 in handle:\n       [held by sys.modules]\n    -> builtins.dict 0x1000@17\n"
            "    -> builtins.str 0x5000@32\n") in text
    assert "refscope why /work/kept/t.trace.gz 0x5000@32 --at run#4" in text
    assert "refscope leaks /work/kept/t.trace.gz --from run#1 --to run#4" in text


def test_unknown_site_and_kinds_without_a_path_are_explained():
    v = verdict([dict(GROUP, site=None, kind="unowned", type="builtins.list")], warmups=0, runs=2)
    text = leak_gate.describe_failure(v, "/proj")
    assert "  unowned  builtins.list  ?" in text
    assert "unowned: held by a reference no traced object owns" in text
    assert "--from start --to run#2" in text  # no warm-up: the measured runs start at the trace's start


@pytest.mark.parametrize("field,value,message", [
    ("kinds", "leaky", "kinds: expected a comma list"),
    ("kinds", "", "kinds: expected a comma list"),
    ("runs", 0, "runs: expected a whole number of at least 1"),
    ("warmups", -1, "warmups: expected a whole number of at least 0"),
    ("max_objects", "ten", "max_objects: expected a whole number"),
    ("max_bytes", True, "max_bytes: expected a whole number"),
    ("runs", 2.5, "runs: expected a whole number"),
])
def test_limits_refuse_what_is_not_a_limit(field, value, message):
    with pytest.raises(ValueError, match=message):
        leak_gate.Limits(**{field: value})


def test_limits_become_check_options():
    limits = leak_gate.Limits(kinds="unowned, cyclic", max_objects="10", max_bytes=4096, warmups="2", runs=5)
    assert limits.check_options() == ["--fail-on", "unowned,cyclic", "--max-objects", "10", "--max-bytes", "4096"]
    assert (limits.warmups, limits.runs) == (2, 5)
    assert limits.describe() == "kinds unowned,cyclic; at most 10 objects and at most 4096 bytes; 2 warm-up runs, 5 measured"
