"""refscope's command-line contract: exit status 0 done / 2 bad usage or input, stdout for data only, stderr for
diagnostics only (each starting `refscope: `), stdin as `-`, compressed input, a closed output pipe."""
import gzip
import json
import os
import subprocess

import pytest


def diagnostics_only(err: str):
    """Every line a diagnostic prints starts with 'refscope: ' or is an indented continuation (the input line)."""
    for line in err.splitlines():
        assert line.startswith("refscope: ") or line.startswith("  ") or line.startswith("Run "), line


# --- Exit status 0, and the stdout/stderr split ---------------------------------------------------------------

def test_summary_of_a_good_trace_exits_0_with_data_on_stdout_only(refscope, samples):
    r = refscope("summary", samples / "every-record.trace")
    assert r.status == 0, r
    assert r.out.startswith("Trace ")
    assert r.err == ""


def test_json_goes_to_stdout_and_parses(refscope, samples):
    r = refscope("summary", "--format", "json", samples / "anomaly-unknown-object.trace")
    assert r.status == 0, r
    doc = json.loads(r.out)
    assert doc["schema"] == "refscope.summary/1"
    assert doc["anomalies"]["total"] == 4
    assert doc["anomalies"]["first"][0] == {
        "kind": "unknown-object", "line": 6, "address": "0x7f0000009000",
        "message": doc["anomalies"]["first"][0]["message"]}
    assert r.err == ""


def test_anomalies_do_not_change_the_exit_status(refscope, samples):
    for name in ["anomaly-refcount-underflow", "anomaly-address-reused", "anomaly-freed-while-referenced"]:
        r = refscope("summary", samples / f"{name}.trace")
        assert r.status == 0, r


def test_a_truncated_trace_warns_on_stderr_and_still_exits_0(refscope, samples):
    r = refscope("summary", "--format", "json", samples / "truncated.trace")
    assert r.status == 0, r
    assert json.loads(r.out)["trace"]["truncated"] is True
    assert "refscope: warning: " in r.err
    assert "truncated.trace:9:" in r.err
    diagnostics_only(r.err)


def test_quiet_silences_warnings(refscope, samples):
    r = refscope("-q", "summary", samples / "truncated.trace")
    assert r.status == 0, r
    assert r.err == ""


# --- --help and --version -------------------------------------------------------------------------------------

def test_version(refscope):
    r = refscope("--version")
    assert r.status == 0, r
    assert r.out.startswith("refscope ")
    assert r.err == ""


@pytest.mark.parametrize("args", [["--help"], ["summary", "--help"]])
def test_help_goes_to_stdout_and_exits_0(refscope, args):
    r = refscope(*args)
    assert r.status == 0, r
    assert "Usage" in r.out or "usage" in r.out.lower()
    assert r.err == ""


def test_summary_help_lists_its_options(refscope):
    out = refscope("summary", "--help").out
    for flag in ["--format", "--at", "--max-anomalies"]:
        assert flag in out


# --- Exit status 2: usage ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    [],                                             # no command
    ["no-such-command"],
    ["summary", "--no-such-flag", "x.trace"],
    ["summary", "--format", "yaml", "sample-traces/every-record.trace"],
    ["summary", "--max-anomalies", "many", "sample-traces/every-record.trace"],
    ["summary", "sample-traces/every-record.trace", "sample-traces/sampled.trace"],
])
def test_bad_usage_exits_2_with_a_message_on_stderr_only(refscope, args):
    r = refscope(*args)
    assert r.status == 2, r
    assert r.out == ""
    assert r.err.startswith("refscope: ")


def test_an_unknown_marker_exits_2(refscope, samples):
    r = refscope("summary", "--at", "nowhere", samples / "every-record.trace")
    assert r.status == 2, r
    assert r.out == ""
    assert "refscope: error: no marker 'nowhere'" in r.err


def test_an_occurrence_beyond_the_last_exits_2(refscope, samples):
    r = refscope("summary", "--at", "iteration#4", samples / "iterations.trace")
    assert r.status == 2, r
    assert "occurs 3 times" in r.err


def test_the_nth_occurrence_is_chosen(refscope, samples):
    r = refscope("summary", "--format", "json", "--at", "iteration#3", samples / "iterations.trace")
    assert r.status == 0, r
    assert json.loads(r.out)["lines"] == 16


@pytest.mark.parametrize("command", ["leaks", "diff", "check"])
def test_from_after_to_exits_2(refscope, samples, command):
    r = refscope(command, "--from", "end", "--to", "start", samples / "every-record.trace")
    assert r.status == 2, r
    assert r.out == ""
    assert r.err.startswith("refscope: ")


# --- Exit status 2: input ---------------------------------------------------------------------------------------

def test_a_missing_file_exits_2(refscope, tmp_path):
    r = refscope("summary", tmp_path / "nope.trace")
    assert r.status == 2, r
    assert r.out == ""
    assert "cannot open" in r.err
    diagnostics_only(r.err)


def test_an_unreadable_file_exits_2_even_as_root(refscope, tmp_path):
    # /proc/self/mem cannot be read from offset 0 by anybody: the read fails with an I/O error.
    r = refscope("summary", "/proc/self/mem")
    assert r.status == 2, r
    assert r.out == ""
    assert r.err.startswith("refscope: error: /proc/self/mem")


def test_a_directory_exits_2(refscope, tmp_path):
    r = refscope("summary", tmp_path)
    assert r.status == 2, r
    assert r.out == ""
    assert r.err.startswith("refscope: error: ")


def test_an_empty_file_exits_2(refscope, tmp_path):
    path = tmp_path / "empty.trace"
    path.write_bytes(b"")
    r = refscope("summary", path)
    assert r.status == 2, r
    assert "not a refscope trace" in r.err


def test_a_malformed_line_is_named_with_file_and_line_and_shown(refscope, tmp_path):
    path = tmp_path / "bad.trace"
    path.write_text("refscope-trace 1\n# comment\nA 10 16 0\nI 10 zz\n")
    r = refscope("summary", path)
    assert r.status == 2, r
    assert r.out == ""
    assert f"refscope: error: {path}:4: OWNER 'zz' is not a hexadecimal address" in r.err
    assert "I 10 zz" in r.err


@pytest.mark.parametrize("magic", [b"\x1f\x8b", b"\x28\xb5\x2f\xfd"])
def test_compressed_garbage_exits_2(refscope, tmp_path, magic):
    path = tmp_path / "garbage.trace"
    path.write_bytes(magic + os.urandom(200))
    r = refscope("summary", path)
    assert r.status == 2, r
    assert r.out == ""
    assert r.err.startswith(f"refscope: error: {path}: corrupt")


def test_binary_garbage_exits_2(refscope, tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(bytes(range(256)) * 8)
    r = refscope("summary", path)
    assert r.status == 2, r
    assert r.out == ""


# --- stdin and compression ---------------------------------------------------------------------------------------

def test_dash_reads_stdin(refscope, samples):
    data = (samples / "every-record.trace").read_bytes()
    r = refscope("summary", "--format", "json", "-", stdin=data)
    assert r.status == 0, r
    doc = json.loads(r.out)
    assert doc["trace"]["path"] == "-"
    assert doc["live"] == {"objects": 3, "bytes": 136}


def test_no_trace_argument_reads_stdin(refscope, samples):
    r = refscope("summary", stdin=(samples / "format-example.trace").read_bytes())
    assert r.status == 0, r
    assert "<stdin>" in r.out


def test_compressed_stdin(refscope, samples):
    data = gzip.compress((samples / "every-record.trace").read_bytes())
    r = refscope("summary", "--format", "json", "-", stdin=data)
    assert r.status == 0, r
    assert json.loads(r.out)["trace"]["encoding"] == "gzip"


def test_errors_on_stdin_are_named_stdin(refscope):
    r = refscope("summary", "-", stdin=b"refscope-trace 1\nA 10 16 0\nQ\n")
    assert r.status == 2, r
    assert "<stdin>:3: unknown record" in r.err


def test_plain_gzip_and_zstd_give_the_same_report(refscope, samples):
    docs = []
    for name in ["every-record.trace", "every-record.trace.gz", "every-record.trace.zst"]:
        r = refscope("summary", "--format", "json", samples / name)
        assert r.status == 0, r
        doc = json.loads(r.out)
        del doc["trace"]["path"], doc["trace"]["encoding"]
        docs.append(doc)
    assert docs[0] == docs[1] == docs[2]


# --- A closed output pipe -----------------------------------------------------------------------------------------

def test_a_closed_pipe_is_not_an_error(binary, big_trace):
    # refscope summary big | head -c 10: refscope must exit 0 and say nothing.
    for fmt in ["text", "json"]:
        proc = subprocess.Popen([binary, "summary", "--format", fmt, "--types", "0", str(big_trace)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        head = proc.stdout.read(10)
        proc.stdout.close()
        err = proc.stderr.read()
        status = proc.wait(timeout=60)
        assert len(head) == 10
        assert status == 0, err
        assert err == b"", err


def test_a_closed_pipe_through_the_shell(binary, big_trace):
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; '{binary}' summary --format json '{big_trace}' | head -c 10"],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"{\n  \"schema"[:10]
    assert proc.stderr == b""


# --- JSON contract --------------------------------------------------------------------------------------------------

def test_summary_json_keys_are_the_documented_ones(refscope, samples):
    doc = json.loads(refscope("summary", "--format", "json", samples / "every-record.trace").out)
    assert doc["schema"] == "refscope.summary/1"
    assert set(doc["trace"]) >= {"path", "version", "refs", "metadata"}
    assert set(doc["events"]) == {"alloc", "incref", "decref", "free", "refcount", "marker", "gc"}
    assert set(doc["live"]) == {"objects", "bytes"}
    assert set(doc["peak"]) >= {"objects", "bytes", "line"}
    assert set(doc["anomalies"]) >= {"total", "by_kind", "first"}
    assert len(doc["anomalies"]["by_kind"]) == 8


def test_json_totals_add_up_and_agree_with_text(refscope, samples):
    for trace in sorted(samples.glob("*.trace")):
        doc = json.loads(refscope("summary", "--format", "json", "--types", "0", trace).out)
        assert sum(t["objects"] for t in doc["types"]) == doc["live"]["objects"], trace
        assert sum(t["bytes"] for t in doc["types"]) == doc["live"]["bytes"], trace
        assert sum(doc["anomalies"]["by_kind"].values()) == doc["anomalies"]["total"], trace
        assert doc["peak"]["bytes"] >= doc["live"]["bytes"], trace
        text = refscope("summary", trace).out
        assert f"Live      {doc['live']['objects']:,} object" in text, trace
        assert f"Anomalies: {doc['anomalies']['total']:,}" in text, trace
