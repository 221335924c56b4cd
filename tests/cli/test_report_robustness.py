"""What the report end of refscope does with hostile or extreme conditions: a full disk, negative counts, a directory
where a file is expected, figures past 64 bits, control characters in names, a garbage cycle of hundreds of
thousands of objects as JSON, and running out of memory. Each ends in a message and exit status 2, or in a correct
report; never in a crash, a silent success or a wrong figure."""
import json
import os
import resource
import subprocess
import sys

import pytest

FULL = "/dev/full"

COMMANDS = [
    ["summary"], ["summary", "--format", "json"], ["leaks"], ["leaks", "--format", "tsv"], ["cycles"],
    ["cycles", "--format", "json"], ["sharing"], ["why", "--type", "app.Node"], ["check", "--fail-on", "retained"],
    ["diff"], ["summary", "--help"],
]


def sanitized(binary):
    """An AddressSanitizer build: its shadow memory defeats memory limits and inflates resident sizes."""
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    return "libasan" in ldd or "ASAN_OPTIONS" in os.environ and "asan" in binary


# --- Write errors ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_full_disk_is_a_message_and_exit_2(binary, samples, args):
    with open(FULL, "w") as full:
        r = subprocess.run([binary, *args, str(samples / "graphs" / "heap.trace")], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "refscope: error: cannot write to standard output: No space left on device" in r.stderr


@pytest.mark.parametrize("option", ["--junit", "--write-baseline"])
def test_check_output_files_that_cannot_be_written_exit_2(refscope, samples, option):
    r = refscope("check", option, FULL, samples / "leaks" / "kinds.trace")
    assert r.status == 2, r
    assert "No space left on device" in r.err


# --- Counts are whole numbers --------------------------------------------------------------------------------------

COUNT_OPTIONS = [
    ("summary", "--types"), ("summary", "--max-anomalies"), ("leaks", "--limit"), ("leaks", "--max-anomalies"),
    ("check", "--max-objects"), ("check", "--max-bytes"), ("check", "--warmup"), ("check", "--max-anomalies"),
    ("cycles", "--limit"), ("cycles", "--max-collected"), ("sharing", "--limit"), ("sharing", "--types"),
    ("why", "--rank"), ("why", "--max-paths"), ("diff", "--limit"),
]


@pytest.mark.parametrize("command,option", COUNT_OPTIONS)
@pytest.mark.parametrize("value", ["-1", "+3", "0x10"])
def test_counts_that_are_not_whole_numbers_are_rejected(refscope, samples, command, option, value):
    extra = ["0x1000"] if command == "why" else []
    r = refscope(command, samples / "graphs" / "heap.trace", *extra, f"{option}={value}")
    assert r.status == 2, r
    assert r.out == ""
    assert "refscope: error:" in r.err


@pytest.mark.parametrize("args", [["record", "--max-size", "-1", "--", "/usr/bin/python3", "-c", "pass"],
                                  ["record", "--checkpoint-every", "nan", "--", "/usr/bin/python3", "-c", "pass"],
                                  ["attach", "--start-timeout", "-1", "1"],
                                  ["attach", "--duration", "nan", "1"],
                                  ["attach", "--duration", "1e300", "1"]], ids=lambda a: " ".join(a[:3]))
def test_negative_figures_for_record_and_attach_are_rejected(refscope, tmp_path, args):
    r = refscope(*args, cwd=tmp_path)
    assert r.status == 2, r
    assert "refscope: error:" in r.err and not list(tmp_path.iterdir())


def test_a_negative_limit_no_longer_passes_a_failing_gate(refscope, samples):
    # -1 used to be read as 2^64-1: a gate that should fail passed.
    assert refscope("check", "--from", "start", "--max-objects", "-1", samples / "leaks" / "kinds.trace").status == 2
    assert refscope("check", "--from", "start", "--max-objects", "0", samples / "leaks" / "kinds.trace").status == 1


# --- Input files that are not files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["leaks", "check"])
def test_suppressions_naming_a_directory_is_an_error(refscope, samples, tmp_path, command):
    r = refscope(command, "--suppressions", tmp_path, samples / "leaks" / "kinds.trace")
    assert r.status == 2, r
    assert f"{tmp_path}: cannot read the suppression file: it is a directory" in r.err


def test_a_baseline_naming_a_directory_is_an_error(refscope, samples, tmp_path):
    r = refscope("check", "--baseline", tmp_path, samples / "leaks" / "kinds.trace")
    assert r.status == 2 and "it is a directory" in r.err, r


# --- Figures past 64 bits --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exabytes(tmp_path_factory):
    """65,536 live objects of 2^48 bytes each: 2^64 bytes, which a 64-bit sum shows as 0."""
    path = tmp_path_factory.mktemp("huge") / "huge.trace"
    lines = ["refscope-trace 1", "T 1 app.Huge", "M start"]
    lines += [f"A {0x10000 + 16 * i:x} {1 << 48} 1" for i in range(65536)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("args", [["summary"], ["leaks"], ["sharing"], ["cycles"], ["diff"],
                                  ["check", "--fail-on", "all", "--max-bytes", "1000"],
                                  ["leaks", "--from", "start", "--format", "json"]], ids=lambda a: " ".join(a))
def test_live_bytes_past_2_63_are_an_error_not_a_wrapped_figure(refscope, exabytes, args):
    r = refscope(*args, exabytes)
    assert r.status == 2, r
    # 2^15 objects of 2^48 bytes make 2^63: the line of the 32,768th allocation (records start on line 4).
    assert f"{exabytes}:{4 + 32767}: the live objects' sizes add up to more than 2^63-1 bytes" in r.err
    assert r.out == ""


# --- Control characters --------------------------------------------------------------------------------------------

EVIL = (b"refscope-trace 1\n@ note \x1b]0;owned\x07\n"
        b"T 1 app.Evil\x1b[2J\x07\xc2\x9b\xff\n"
        b"S 1 0 3 f\x1b[31m x\x1b[0m.py\n"
        b"A 1000 16 1 1\nA 2000 16 1 1\nI 2000 1000\nI 1000 2000\nD 1000\nD 2000\n"
        b"A 3000 16 1 1\n"
        b"M lab\x1b[1Ael\n"
        b"A 4000 16 1 1\n")

TEXT_COMMANDS = [["summary"], ["leaks"], ["leaks", "--format", "tsv"], ["leaks", "--from", "lab\x1b[1Ael"],
                 ["cycles"], ["sharing", "--sort", "retained"], ["sharing", "--format", "tsv", "--sort", "retained"],
                 ["why", "0x1000"], ["why", "0x3000"], ["check", "--fail-on", "all"], ["diff"],
                 ["diff", "--format", "tsv"]]


@pytest.mark.parametrize("args", TEXT_COMMANDS, ids=lambda a: " ".join(a).replace("\x1b", "ESC"))
def test_control_characters_in_names_reach_no_terminal(binary, tmp_path, args):
    trace = tmp_path / "evil.trace"
    trace.write_bytes(EVIL)
    r = subprocess.run([binary, args[0], str(trace), *args[1:]], capture_output=True, timeout=60)
    assert r.returncode in (0, 1), r.stderr
    allowed = {0x0a, 0x09} if "tsv" in args else {0x0a}
    for stream in (r.stdout, r.stderr):
        bad = [b for b in stream if (b < 0x20 and b not in allowed) or b == 0x7f]
        assert not bad, stream
        assert b"\xc2\x9b" not in stream and b"\xff" not in stream, stream
    assert b"app.Evil\\x1b[2J\\x07\\u009b\\xff" in r.stdout


def test_json_keeps_names_as_they_are(refscope, tmp_path):
    trace = tmp_path / "evil.trace"
    trace.write_bytes(EVIL)
    doc = json.loads(refscope("leaks", "--format", "json", trace).out)
    assert doc["groups"][0]["type"] == "app.Evil\x1b[2J\x07\x9b\ufffd"


def test_a_quoted_input_line_in_a_message_is_escaped(binary, tmp_path):
    trace = tmp_path / "bad.trace"
    trace.write_bytes(b"refscope-trace 1\nA 1000 sixteen \x1b[2J\x07\n")
    r = subprocess.run([binary, "summary", str(trace)], capture_output=True, timeout=60)
    assert r.returncode == 2
    assert b"\x1b" not in r.stderr and b"\x07" not in r.stderr
    assert b"  | A 1000 sixteen \\x1b[2J\\x07" in r.stderr


def test_a_marker_label_in_a_message_is_escaped(binary, samples):
    r = subprocess.run([binary, "leaks", "--from", "no\x1b[2Jsuch", str(samples / "leaks" / "kinds.trace")],
                       capture_output=True, timeout=60)
    assert r.returncode == 2 and b"\x1b" not in r.stderr and b"no\\x1b[2Jsuch" in r.stderr


# --- One garbage cycle of many objects -----------------------------------------------------------------------------

CYCLE_OBJECTS = 200_000


@pytest.fixture(scope="module")
def big_cycle(tmp_path_factory):
    """One garbage cycle through every object: each holds the next, the last the first, and nothing else holds
    any of them."""
    path = tmp_path_factory.mktemp("cycle") / "cycle.trace"
    n = CYCLE_OBJECTS
    addr = [0x7f0000000000 + 64 * i for i in range(n)]
    with open(path, "w") as f:
        f.write("refscope-trace 1\nT 1 app.Node\nS 1 0 7 build app.py\n")
        f.writelines(f"A {a:x} 48 1 1\n" for a in addr)
        f.writelines(f"I {addr[(i + 1) % n]:x} {addr[i]:x}\n" for i in range(n))
        f.writelines(f"D {a:x}\n" for a in addr)
    return path


def peak_rss_kib(argv):
    """The peak resident size of a command, measured in a process of its own. Under AddressSanitizer its quarantine
    of freed memory (256 MB) would count as resident: it is kept small, so the figures compare what refscope holds."""
    probe = ("import resource, subprocess, sys\n"
             "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "quarantine_size_mb=1"]))
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=300,
                         env=env).stdout
    status, rss = out.split()
    assert status == "0"
    return int(rss)


def test_one_big_cycle_as_json_needs_about_the_memory_of_text(binary, big_cycle):
    text = peak_rss_kib([binary, "cycles", str(big_cycle)])
    as_json = peak_rss_kib([binary, "cycles", "--format", "json", str(big_cycle)])
    # Before, JSON built the cycle as a document: 2.4 KB an object against text's 0.2 KB.
    assert as_json <= text * 1.25 + 16 * 1024, (text, as_json)


def test_one_big_cycle_as_json_is_complete(binary, big_cycle):
    r = subprocess.run([binary, "cycles", "--format", "json", str(big_cycle)], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["cycle_count"] == 1 and doc["unreachable"]["objects"] == CYCLE_OBJECTS
    cycle = doc["cycles"][0]
    assert len(cycle["objects"]) == len(cycle["edges"]) == CYCLE_OBJECTS
    assert cycle["path"][0] == cycle["path"][-1] and len(cycle["path"]) == CYCLE_OBJECTS + 1


def test_running_out_of_memory_is_a_message_and_exit_2(binary, samples, big_cycle):
    if sanitized(binary):
        pytest.skip("AddressSanitizer reserves its shadow memory up front: a data limit stops it at start")

    def run(limit_mib, *args):
        def limited():
            resource.setrlimit(resource.RLIMIT_DATA, (limit_mib << 20, limit_mib << 20))
        return subprocess.run([binary, *args], capture_output=True, preexec_fn=limited, timeout=300)

    # The smallest data limit (in steps of 8 MiB) under which refscope starts and does small work, plus a step:
    # the cycle of 200,000 objects needs far more.
    small = str(samples / "format-example.trace")
    limit = next(mib for mib in range(16, 512, 8) if run(mib, "summary", small).returncode == 0) + 8
    r = run(limit, "cycles", "--format", "json", str(big_cycle))
    assert r.returncode == 2, (limit, r.stderr)
    assert r.stderr.decode().startswith("refscope: error: out of memory"), r.stderr
    assert run(limit, "summary", small).returncode == 0


def test_every_memory_limit_ends_in_a_report_or_a_message(binary, samples):
    # Wherever memory runs out (parsing the command line, starting the reader's thread, replaying, rendering), the
    # end is the report or 'refscope: error: ...' and status 2: never an abort (134) or a signal.
    if sanitized(binary):
        pytest.skip("AddressSanitizer reserves its shadow memory up front: a data limit stops it at start")
    trace = str(samples / "leaks" / "kinds.trace")
    seen = set()
    for mib in range(1, 65, 5):
        for args in (["summary", trace], ["leaks", "--format", "json", trace], ["summary", "--help"]):
            def limited():
                resource.setrlimit(resource.RLIMIT_DATA, (mib << 20, mib << 20))
            r = subprocess.run([binary, *args], capture_output=True, preexec_fn=limited, timeout=60)
            assert r.returncode in (0, 2), (mib, args, r.returncode, r.stderr)
            if r.returncode == 2:
                assert r.stderr.decode().startswith("refscope: error: out of memory"), (mib, args, r.stderr)
            seen.add(r.returncode)
    assert seen == {0, 2}  # the sweep reaches both ends: limits that stop refscope and limits it works under
