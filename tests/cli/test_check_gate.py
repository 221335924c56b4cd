"""`refscope check` as a CI job sees it: exit status 0/1/2, the last line, JUnit XML, baselines, closed stdout."""
import json
import os
import pathlib
import subprocess
import xml.etree.ElementTree as ET

import pytest

REFSCOPE = os.environ.get("REFSCOPE", "refscope")
ROOT = pathlib.Path(os.environ.get("REFSCOPE_ROOT", pathlib.Path(__file__).resolve().parents[2]))
SAMPLES = ROOT / "sample-traces" / "leaks"
KINDS = str(SAMPLES / "kinds.trace")
REPEAT = str(SAMPLES / "repeat.trace")


def run(*args, **kw):
    return subprocess.run([REFSCOPE, *args], capture_output=True, text=True, timeout=60, **kw)


def test_fails_with_status_1_and_says_why_on_the_last_line():
    r = run("check", "--from", "start", KINDS)
    assert r.returncode == 1
    assert r.stdout.rstrip().splitlines()[-1].startswith("FAIL: 3 unowned,cyclic objects (184 bytes)")


def test_passes_with_status_0_within_the_limits():
    r = run("check", "--from", "start", "--max-objects", "3", KINDS)
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().splitlines()[-1].startswith("PASS:")


def test_only_the_failing_kinds_count():
    assert run("check", "--from", "start", "--fail-on", "retained", "--max-objects", "1", KINDS).returncode == 0
    assert run("check", "--from", "start", "--fail-on", "retained", KINDS).returncode == 1


@pytest.mark.parametrize("args", [["--fail-on", "leaky"], ["--by", "colour"], ["--from", "nosuch"],
                                  ["--warmup", "2"], ["--repeat", "iter", "--at", "iter#2"],
                                  ["--suppressions", "/nonexistent/supp.txt"], ["--baseline", "/nonexistent.json"]])
def test_usage_and_input_errors_exit_2(args):
    r = run("check", *args, KINDS)
    assert r.returncode == 2
    assert r.stderr.startswith("refscope: error:")
    assert r.stdout == ""


def test_malformed_suppression_names_file_and_line(tmp_path):
    supp = tmp_path / "supp.txt"
    supp.write_text("# ours\nleak:app.*\nrace:foo\n")
    r = run("check", "--suppressions", str(supp), KINDS)
    assert r.returncode == 2
    assert f"{supp}:3:" in r.stderr


def test_closed_stdout_keeps_the_verdict():
    for args, want in ((["--from", "start"], 1), (["--from", "start", "--fail-on", "retained", "--max-objects", "5"], 0)):
        p = subprocess.Popen([REFSCOPE, "check", *args, KINDS], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.close()  # the reader went away before refscope wrote anything
        err = p.stderr.read()
        assert p.wait(timeout=60) == want
        assert b"error" not in err


def test_junit_has_a_failing_testcase_per_failing_group_and_one_for_the_rest(tmp_path):
    junit = tmp_path / "leaks.xml"
    r = run("check", "--from", "start", "--junit", str(junit), KINDS)
    assert r.returncode == 1
    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    failing = [c for c in cases if c.find("failure") is not None]
    assert sorted(c.get("classname") for c in failing) == ["refscope.leaks.cyclic", "refscope.leaks.unowned"]
    # Each names its site's file and line, as GitLab and the GitHub reporters read them
    assert sorted((c.get("file"), c.get("line")) for c in failing) == [("app/server.py", "90"), ("app/tree.py", "77")]
    # The three other groups (a retained entry, two indirect ones) are one passing case
    rest = [c for c in cases if c.find("failure") is None]
    assert len(rest) == 1 and rest[0].get("file") is None
    assert rest[0].find("system-out").text.startswith("3 leak groups (3 objects")
    assert suite.get("tests") == "3" and suite.get("failures") == "2" and root.get("failures") == "2"


def test_junit_of_a_gate_that_passes_is_one_passing_case(tmp_path):
    junit = tmp_path / "leaks.xml"
    assert run("check", "--from", "start", "--fail-on", "cyclic", "--max-objects", "9", "--junit", str(junit),
               KINDS).returncode == 0
    cases = ET.parse(junit).getroot().find("testsuite").findall("testcase")
    assert [(c.get("name"), c.find("failure")) for c in cases] == [("every other leak group", None)]


def test_junit_groups_without_a_site_have_no_file(tmp_path):
    junit = tmp_path / "leaks.xml"
    assert run("check", "--from", "start", "--by", "type", "--junit", str(junit), KINDS).returncode == 1
    failing = [c for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert failing and all(c.get("file") is None and c.get("line") is None for c in failing)


def test_junit_marks_suppressions_skipped(tmp_path):
    junit = tmp_path / "leaks.xml"
    r = run("check", "--from", "start", "--suppressions", str(SAMPLES / "suppressions.txt"), "--junit", str(junit),
            KINDS)
    assert r.returncode == 0
    suite = ET.parse(junit).getroot().find("testsuite")
    skipped = [c for c in suite.findall("testcase") if c.find("skipped") is not None]
    assert len(skipped) == 3 and suite.get("skipped") == "3" and suite.get("failures") == "0"


def test_a_written_baseline_passes_the_same_trace_and_fails_new_leaks(tmp_path):
    base = tmp_path / "base.json"
    r = run("check", "--write-baseline", str(base), REPEAT)
    assert r.returncode == 1  # writing a baseline does not change the verdict of this run
    assert json.loads(base.read_text())["schema"] == "refscope.baseline/2"
    assert run("check", "--baseline", str(base), REPEAT).returncode == 0
    r = run("check", "--baseline", str(base), KINDS)  # other groups: new
    assert r.returncode == 1


def test_baseline_with_another_grouping_is_a_usage_error(tmp_path):
    base = tmp_path / "base.json"
    run("check", "--by", "type", "--write-baseline", str(base), REPEAT)
    r = run("check", "--baseline", str(base), REPEAT)
    assert r.returncode == 2 and "--by type" in r.stderr


def test_repeat_fails_only_what_grew_in_every_iteration():
    r = run("check", "--repeat", "iter", "--warmup", "1", "--format", "json", REPEAT)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    by_kind = {g["kind"]: g for g in doc["groups"]}
    assert by_kind["cyclic"]["fails"] and by_kind["cyclic"]["growth"] == [2, 2, 2, 2]
    assert not by_kind["unowned"]["fails"] and by_kind["unowned"]["growth"] == [3, 0, 0, 0]
    # The warm-up cache alone does not fail the gate.
    r = run("check", "--repeat", "iter", "--fail-on", "unowned", REPEAT)
    assert r.returncode == 0, r.stdout


def test_json_and_text_agree():
    text = run("check", "--from", "start", KINDS).stdout.rstrip().splitlines()[-1]
    doc = json.loads(run("check", "--from", "start", "--format", "json", KINDS).stdout)
    assert doc["schema"] == "refscope.check/1" and doc["reason"] == text and doc["verdict"] == "fail"


def test_leaks_json_totals_add_up():
    doc = json.loads(run("leaks", "--from", "start", "--format", "json", "--limit", "0", KINDS).stdout)
    assert doc["schema"] == "refscope.leaks/1"
    assert sum(doc["totals"]["by_kind"].values()) == doc["totals"]["objects"] == len(doc["objects"])
    assert sum(g["objects"] for g in doc["groups"]) == doc["totals"]["objects"]
    assert sum(g["bytes"] for g in doc["groups"]) == doc["totals"]["bytes"] == sum(o["size"] for o in doc["objects"])
    retained = [o for o in doc["objects"] if o["kind"] == "retained"]
    assert retained and all(o["path"][-1]["address"] == o["address"] for o in retained)
