"""What a person at a terminal sees: the progress line (a percentage of the compressed bytes read, the phase that
runs, grouped digits), text that fits 100 columns with short sites, and messages that help: a mistyped command, a
type named by its last part, a missing marker, -q/-v after the command, and no raw message of the argument parser."""
import json
import os
import pty
import re
import select
import subprocess

import pytest

from conftest import BINARY, ROOT, SAMPLES


def run_on_terminal(*args, env=None, cwd=ROOT):
    """Runs refscope with stderr on a pseudo-terminal; returns (status, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([BINARY, *map(str, args)], stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
                            cwd=cwd, env={**os.environ, **(env or {})})
    os.close(slave)
    seen = b""
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, out.decode(), seen.decode("utf-8", "replace")


@pytest.fixture
def big_zstd(tmp_path):
    """A zstd trace of 30,000 records: two nodes holding each other, and many short-lived objects."""
    lines = ["refscope-trace 1", "T 1 app.Node", "S 1 0 3 main /srv/app/main.py"]
    lines += ["A 1000 56 1 1", "A 2000 56 1 1", "I 2000 1000", "I 1000 2000", "D 1000", "D 2000", "M start"]
    for i in range(10000):
        addr = f"{0x100000 + i * 64:x}"
        lines += [f"A {addr} 32 1 1", f"I {addr}", f"F {addr}"]
    plain = tmp_path / "big.trace"
    plain.write_text("\n".join(lines) + "\n")
    subprocess.run(["zstd", "-q", "-19", str(plain), "-o", str(tmp_path / "big.trace.zst")], check=True)
    return tmp_path / "big.trace.zst"


def test_progress_shows_compressed_percentage_phase_and_grouped_digits(big_zstd):
    status, out, term = run_on_terminal("cycles", big_zstd, env={"REFSCOPE_PROGRESS_AFTER": "0"})
    assert status == 0, term
    assert "cycle 1: 2 objects" in out
    reading = re.search(r"refscope: reading \S*big\.trace\.zst: (\d+)% of [\d.]+ MB \(zstd\), ([\d,]+) lines", term)
    assert reading, term
    assert 0 < int(reading.group(1)) <= 100
    assert "," in reading.group(2) and int(reading.group(2).replace(",", "")) > 1000
    assert re.search(r"refscope: \S*big\.trace\.zst: finding cycles\.\.\.", term), term
    assert term.endswith("\r\x1b[K") or "\r\x1b[K" in term  # the line is cleared before refscope ends
    # Not on a pipe, and not with -q (given after the command).
    assert "reading" not in run_on_terminal("cycles", big_zstd, "-q", env={"REFSCOPE_PROGRESS_AFTER": "0"})[2]
    plain = subprocess.run([BINARY, "cycles", big_zstd], capture_output=True, text=True,
                           env={**os.environ, "REFSCOPE_PROGRESS_AFTER": "0"})
    assert plain.returncode == 0 and plain.stderr == ""


def test_progress_waits_a_second_by_default(big_zstd):
    status, _, term = run_on_terminal("cycles", big_zstd)
    assert status == 0 and "reading" not in term  # a quick command draws no line


def test_text_fits_100_columns_and_json_keeps_paths(refscope, samples):
    # The 3.13 recording's window has ctypes' sites (its function lookup happens inside the window).
    trace = samples / "recorded" / "leaky_service-py3.13.trace.zst"
    r = refscope("leaks", trace, "--from", "ready", "--to", "request#3")
    assert r.status == 0, r
    for line in r.out.splitlines():
        assert len(line) <= 100, line
    assert "python3.13..." in r.out  # a long stdlib site shortened, then cut to fit its table
    assert "/lib/python3.13/" not in r.out
    j = json.loads(refscope("leaks", trace, "--from", "ready", "--to", "request#3", "--format", "json").out)
    assert "/root/.pyenv/versions/3.13.0/lib/python3.13/ctypes/__init__.py:408 in CDLL.__getitem__" in {
        g["site"] for g in j["groups"]}


def test_sites_under_the_current_directory_are_relative(tmp_path):
    app = tmp_path / "src" / "app.py"
    trace = tmp_path / "t.trace"
    trace.write_text("refscope-trace 1\nT 1 app.Node\n"
                     f"S 1 0 12 main {app}\n"
                     "S 2 0 7 load /usr/lib/python3/dist-packages/yaml/__init__.py\n"
                     "M start\nA 1000 56 1 1\nA 2000 40 1 2\n")
    r = subprocess.run([BINARY, "leaks", trace, "--from", "start"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "src/app.py:12 in main" in r.stdout and str(app) not in r.stdout
    assert "dist-packages/yaml/__init__.py:7 in load" in r.stdout
    tsv = subprocess.run([BINARY, "leaks", trace, "--from", "start", "--format", "tsv"], capture_output=True,
                         text=True, cwd=tmp_path)
    assert f"{app}:12 in main" in tsv.stdout


def test_sites_under_the_recorded_project_root_are_relative(tmp_path):
    # A trace recorded in /srv/app (its `@ path root`), read anywhere: sites under the root are shown from it in
    # text, whatever the current directory; --root names another root; JSON keeps the path.
    trace = tmp_path / "t.trace"
    trace.write_text("refscope-trace 1\n@ path root /srv/app\nT 1 app.Node\n"
                     "S 1 0 12 main /srv/app/src/app.py\nS 2 0 3 other /srv/other/b.py\n"
                     "M start\nA 1000 56 1 1\nA 2000 40 1 2\n")
    for command in (["leaks", trace, "--from", "start"], ["check", trace, "--from", "start"],
                    ["why", trace, "0x1000"], ["diff", trace, "--from", "start"]):
        r = subprocess.run([BINARY, *command], capture_output=True, text=True, cwd=tmp_path)
        assert r.returncode in (0, 1), r.stderr
        assert "src/app.py:12 in main" in r.stdout and "/srv/app/" not in r.stdout, (command, r.stdout)
    r = subprocess.run([BINARY, "leaks", trace, "--from", "start", "--root", "/srv/other"], capture_output=True,
                       text=True, cwd=tmp_path)
    assert "b.py:3 in other" in r.stdout and "/srv/app/src/app.py:12 in main" in r.stdout
    j = subprocess.run([BINARY, "leaks", trace, "--from", "start", "--format", "json"], capture_output=True,
                       text=True, cwd=tmp_path)
    assert "/srv/app/src/app.py:12 in main" in {g["site"] for g in json.loads(j.stdout)["groups"]}


def test_a_mistyped_command_is_suggested(refscope, samples):
    r = refscope("leak", samples / "leaks" / "kinds.trace")
    assert r.status == 2
    assert "unknown command 'leak'; did you mean 'leaks'?" in r.err
    r = refscope("frobnicate")
    assert r.status == 2 and "unknown command 'frobnicate'; the commands are summary, leaks" in r.err


def test_type_named_by_its_last_part(refscope, tmp_path):
    trace = tmp_path / "types.trace"
    trace.write_text("refscope-trace 1\nT 1 builtins.bytearray\nT 2 app.Node\nT 3 lib.Node\nT 4 app.NodeList\n"
                     "A 1000 57 1\nA 2000 48 2\nA 3000 48 3\nA 4000 48 4\n")
    r = refscope("why", trace, "--type", "bytearray")
    assert r.status == 0, r
    assert "builtins.bytearray" in r.out and "0x1000@" in r.out
    r = refscope("why", trace, "--type", "Node")
    assert r.status == 2
    assert "--type 'Node' could be any of 2 types: app.Node, lib.Node; give the whole name" in r.err
    r = refscope("why", trace, "--type", "node")
    assert r.status == 2
    assert "types whose names contain it: app.Node, app.NodeList, lib.Node" in r.err
    assert refscope("why", trace, "--type", "app.Node").status == 0


def test_a_missing_marker_lists_the_markers(refscope, samples):
    r = refscope("leaks", samples / "iterations.trace", "--at", "iterashun")
    assert r.status == 2
    assert "no marker 'iterashun'" in r.err and "its markers: 'iteration' (3 times)" in r.err
    r = refscope("leaks", samples / "leaks" / "kinds.trace", "--at", "nope")
    assert "its markers: 'start'" in r.err
    r = refscope("summary", samples / "format-example.trace", "--at", "x")
    assert "it has no markers" in r.err


def test_quiet_and_verbose_after_the_command(refscope, samples):
    trace = samples / "truncated.trace"
    assert "warning" in refscope("summary", trace).err
    assert refscope("summary", trace, "-q").err == ""
    assert refscope("summary", "-q", trace).err == ""
    assert refscope("-q", "summary", trace).err == ""
    assert refscope("summary", trace, "-v").status == 0


@pytest.mark.parametrize("args,expected", [
    (["diff", "a.trace", "b.trace", "c.trace"], "TRACE: at most 2 expected, 3 given"),
    (["why"], "TRACE: required, and not given"),
    (["report", "x.trace"], "--output: required, and not given"),
    ([], "a command is needed: summary, leaks"),
    (["leaks", "x.trace", "--bogus"], "unexpected argument: --bogus"),
    (["leaks", "x.trace", "--format", "xml"], "--format"),
])
def test_no_raw_parser_message(refscope, args, expected):
    r = refscope(*args)
    assert r.status == 2
    assert expected in r.err, r.err
    for raw in ("(0x)", "At Most", "At least", "The following argument", "is required", "Could not convert"):
        assert raw not in r.err, r.err


def test_report_leaves_no_half_page(refscope, tmp_path, samples):
    bad = tmp_path / "bad.trace"
    bad.write_text("refscope-trace 1\nT 1 a\nA 10 5 1\nZZZ\n")
    page = tmp_path / "page.html"
    r = refscope("report", bad, "-o", page)
    assert r.status == 2 and "bad.trace:4: unknown record" in r.err
    assert not page.exists()
    r = refscope("report", samples / "leaks" / "kinds.trace", "-o", "/dev/full")
    assert r.status == 2 and "cannot write to '/dev/full'" in r.err
    assert os.path.exists("/dev/full")  # a device is never removed
    r = refscope("report", samples / "leaks" / "kinds.trace", "-o", page)
    assert r.status == 0 and r.out == "" and page.read_text().startswith("<!DOCTYPE html>")
