"""The binary encoding (man refscope-trace(5), BINARY ENCODING) and `refscope convert`.

The main check: every golden case is run again with each trace it reads replaced by that trace's binary
conversion, and must print the very same bytes. Then the encoding's own errors, truncation and limits."""
import gzip
import os
import pathlib
import shlex
import struct
import subprocess

import pytest

from conftest import BINARY, ROOT

GOLDEN = ROOT / "tests" / "golden" / "cases"
MAGIC = b"\x89RSB"


def run(*args, cwd=ROOT, stdin=b""):
    return subprocess.run([BINARY, *map(str, args)], cwd=cwd, input=stdin, capture_output=True, timeout=120)


def varint(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def text(s: str) -> bytes:
    b = s.encode()
    return varint(len(b)) + b


def zigzag(delta: int) -> int:
    delta &= (1 << 64) - 1
    signed = delta - (1 << 64) if delta >> 63 else delta
    return ((signed << 1) ^ (signed >> 63)) & ((1 << 64) - 1)


class Encoder:
    """A binary trace written by hand, independently of refscope's own writer."""

    def __init__(self, version=2):
        self.data = bytearray(MAGIC + bytes([version, 1]))
        self.previous = 0

    def addr(self, a):
        self.data += varint(zigzag(a - self.previous))
        self.previous = a
        return self

    def kind(self, k, *numbers):
        self.data.append(k)
        for n in numbers:
            self.data += varint(n)
        return self

    def raw(self, b: bytes):
        self.data += b
        return self


def compressed_like(magic: bytes, data: bytes) -> bytes:
    """`data` compressed as a file that starts with `magic` is (gzip, zstd or not at all)."""
    if magic[:2] == b"\x1f\x8b":
        return gzip.compress(data)
    if magic == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout
    return data


def mirror(scratch: pathlib.Path, converted: dict):
    """The repository as run_golden.py shows it to a case, with every convertible trace in binary."""
    def fill(src: pathlib.Path, dst: pathlib.Path):
        dst.mkdir()
        for entry in src.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                fill(entry, dst / entry.name)
                continue
            proc = run("convert", entry, "--binary", "-o", "-") if entry.is_file() else None
            if proc is not None and proc.returncode == 0:
                data = proc.stdout
                if b"cut short" in proc.stderr and b"compressed" not in proc.stderr:
                    data += bytes([0x01])  # cut short as the text was: a record that ends inside its first byte
                data = compressed_like(entry.read_bytes()[:4], data)
                (dst / entry.name).write_bytes(data)
                converted[str(entry.relative_to(ROOT))] = True
            else:
                (dst / entry.name).symlink_to(entry.resolve())

    for entry in ROOT.iterdir():
        if entry.name in ("sample-traces", "tests"):
            fill(entry, scratch / entry.name) if entry.name == "sample-traces" else None
        else:
            (scratch / entry.name).symlink_to(entry.resolve())
    tests = scratch / "tests"
    tests.mkdir()
    for entry in (ROOT / "tests").iterdir():
        if entry.name == "golden":
            golden = tests / "golden"
            golden.mkdir()
            for g in entry.iterdir():
                if g.name == "cases":
                    fill(g, golden / "cases")
                else:
                    (golden / g.name).symlink_to(g.resolve())
        else:
            (tests / entry.name).symlink_to(entry.resolve())


@pytest.fixture(scope="module")
def binary_tree(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("binary-tree")
    converted = {}
    mirror(scratch, converted)
    return scratch, converted


def golden_cases():
    return sorted(GOLDEN.glob("*.cmd"))


@pytest.mark.parametrize("case", golden_cases(), ids=lambda p: p.stem)
def test_golden_case_gives_the_same_bytes_from_binary_traces(case, binary_tree):
    scratch, converted = binary_tree
    argv = shlex.split(case.read_text().strip())
    if not any(a in converted for a in argv) and not any(a.split("=", 1)[-1] in converted for a in argv):
        pytest.skip("reads no trace that converts (an error case, or stdin)")
    stdin_file = case.with_suffix(".stdin")
    stdin = stdin_file.read_bytes() if stdin_file.exists() else b""
    proc = run(*argv, cwd=scratch, stdin=stdin)
    status_file = case.with_suffix(".status")
    want_status = int(status_file.read_text()) if status_file.exists() else 0
    assert proc.returncode == want_status, proc.stderr.decode()
    assert proc.stdout.decode("utf-8", "replace") == case.with_suffix(".expected").read_text()


def test_most_golden_cases_read_a_binary_trace(binary_tree):
    _, converted = binary_tree
    cases = [c for c in golden_cases() if any(a in converted for a in shlex.split(c.read_text()))]
    assert len(cases) >= 80, len(cases)


def test_round_trip_text_binary_text_is_the_same_text(tmp_path):
    for trace in ["every-record.trace", "sampled.trace", "roots/frames.trace", "iterations.trace"]:
        src = ROOT / "sample-traces" / trace
        if not src.exists():
            continue
        t1 = run("convert", src)
        assert t1.returncode == 0, t1.stderr
        b = run("convert", src, "--binary")
        assert b.stdout.startswith(MAGIC + bytes([int(t1.stdout.split(b"\n")[0].split()[1]), 1]))
        t2 = run("convert", "-", stdin=b.stdout)
        assert t2.returncode == 0, t2.stderr
        assert t2.stdout == t1.stdout
        assert len(b.stdout) < len(t1.stdout) * 0.6


def same_name(tmp_path, text_bytes: bytes, binary_bytes: bytes):
    """The two forms under one name in two directories, so that reports that show the name agree."""
    (tmp_path / "text").mkdir()
    (tmp_path / "binary").mkdir()
    (tmp_path / "text" / "t.trace").write_bytes(text_bytes)
    (tmp_path / "binary" / "t.trace").write_bytes(binary_bytes)
    return lambda *args: (run(*args, "t.trace", cwd=tmp_path / "text").stdout,
                          run(*args, "t.trace", cwd=tmp_path / "binary").stdout)


def test_convert_keeps_line_numbers_of_comments_and_blank_lines(tmp_path):
    src = tmp_path / "c.trace"
    src.write_text("# a comment\n\nrefscope-trace 1\n# another\nT 1 x\n\nA 10 16 1\nA 10 16 1\n")
    b = tmp_path / "c.bin"
    assert run("convert", src, "--binary", "-o", b).returncode == 0
    assert b.read_bytes() == MAGIC + bytes([1, 1, 0x30, 3, 0x21, 1, 1]) + b"x" + bytes(
        [0x30, 1, 0x01, 0x20, 16, 1, 0, 0x01, 0x00, 16, 1, 0])
    back = run("convert", b).stdout.decode()
    assert back == "refscope-trace 1\n\n\n\nT 1 x\n\nA 10 16 1\nA 10 16 1\n"
    both = same_name(tmp_path, src.read_bytes(), b.read_bytes())
    leaks_text, leaks_binary = both("leaks", "--format", "json")
    assert leaks_text == leaks_binary and b'"line": 8' in leaks_text
    summary_text, summary_binary = both("summary")
    assert summary_text == summary_binary and b"address-reused" in summary_text


def test_hand_written_binary_trace_reads(tmp_path):
    e = Encoder(version=1)
    e.kind(0x21, 1).raw(text("app.Node"))
    e.kind(0x22, 1, 0, 12).raw(text("main") + text("app.py"))
    e.kind(0x01).addr(0x7F0000001000).raw(varint(56) + varint(1) + varint(1))
    e.kind(0x01).addr(0x7F0000002000).raw(varint(56) + varint(1) + varint(1))
    e.kind(0x03).addr(0x7F0000002000).addr(0x7F0000001000)
    e.kind(0x03).addr(0x7F0000001000).addr(0x7F0000002000)
    e.kind(0x05).addr(0x7F0000001000)
    e.kind(0x05).addr(0x7F0000002000)
    trace = tmp_path / "example.rsb"
    trace.write_bytes(bytes(e.data))
    r = run("convert", trace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == (
        "refscope-trace 1\nT 1 app.Node\nS 1 0 12 main app.py\nA 7f0000001000 56 1 1\nA 7f0000002000 56 1 1\n"
        "I 7f0000002000 7f0000001000\nI 7f0000001000 7f0000002000\nD 7f0000001000\nD 7f0000002000\n")
    both = same_name(tmp_path, r.stdout, bytes(e.data))
    for cmd in (["cycles"], ["leaks"], ["summary", "--format", "json"]):
        t, b = both(*cmd)
        assert t == b
    assert b"0x7f0000001000@4" in both("cycles")[1]
    # compressed, it reads the same
    gz = tmp_path / "example.rsb.gz"
    gz.write_bytes(gzip.compress(bytes(e.data)))
    assert run("cycles", gz).stdout == run("cycles", trace).stdout


def bad(tmp_path, data: bytes):
    p = tmp_path / "bad.rsb"
    p.write_bytes(data)
    return run("summary", p), p


@pytest.mark.parametrize("body, message", [
    (bytes([0x7F]), "record 2 (byte 6): unknown record kind 0x7f"),
    (bytes([0x07]) + b"\xff" * 10 + b"\x01", "record 2 (byte 6): a number of more than 64 bits"),
    (bytes([0x07, 0x00]), "record 2 (byte 6): ADDR is 0; addresses are never 0"),
    (bytes([0x01, 0x20, 16, 5, 0]), "record 2 (byte 6): type 5 is not defined"),
    (bytes([0x0F, 0x20, 1]), "record 2 (byte 6): K (object name) records need trace format 2"),
    (bytes([0x23]) + text("a\nb"), "record 2 (byte 6): a text field holds a line feed"),
    (bytes([0x22, 1, 0, 3]) + text("two words") + text("f.py"), "FUNCTION of an S (stack node) record must be one word"),
    (bytes([0x30, 0]), "a skip record counts 1 to"),
    (bytes([0x23]) + varint(65 << 20), "a text field of 68157440 bytes; at most 64 MiB"),
    (bytes([0x10, 1, 0x10, 1]), "record 3 (byte 8): G while the collection started on line 2 is still open"),
])
def test_malformed_binary_is_an_error_naming_file_record_and_byte(tmp_path, body, message):
    r, p = bad(tmp_path, MAGIC + bytes([1, 1]) + body)
    assert r.returncode == 2, r
    err = r.stderr.decode()
    assert f"refscope: error: {p}: " in err
    assert message in err, err


def test_a_record_after_e_is_an_error(tmp_path):
    body = bytes([0x26]) + text("exit") + text("") + bytes([0x30, 3, 0x07, 0x20])
    r, _ = bad(tmp_path, MAGIC + bytes([2, 1]) + body)
    assert r.returncode == 2
    assert "record 6 (byte 15): a record after E, the end of the recording at record 2" in r.stderr.decode()


@pytest.mark.parametrize("header, message", [
    (MAGIC + bytes([3, 1]), "trace version 3, this refscope reads 1 and 2"),
    (MAGIC + bytes([2, 9]), "binary encoding revision 9, this refscope reads revision 1"),
    (MAGIC + bytes([2]), "the binary trace's header is cut short (5 of 6 bytes)"),
])
def test_bad_binary_headers(tmp_path, header, message):
    r, _ = bad(tmp_path, header)
    assert r.returncode == 2
    assert message in r.stderr.decode()


def test_a_cut_short_binary_trace_reads_to_its_last_whole_record(tmp_path):
    src = ROOT / "sample-traces" / "every-record.trace"
    whole = run("convert", src, "--binary").stdout
    text_lines = run("convert", src).stdout.decode().splitlines()
    # Cut inside every record in turn: what reads is always the records before it, with a warning.
    for cut in range(7, len(whole)):
        p = tmp_path / "cut.rsb"
        p.write_bytes(whole[:cut])
        r = run("convert", p)
        assert r.returncode == 0, (cut, r.stderr)
        got = r.stdout.decode().splitlines()
        assert got == text_lines[:len(got)]
        if cut == len(whole) - 1:  # inside the last record, `M end`
            assert len(got) == len(text_lines) - 1
            assert "the trace ends inside this record (cut short?); ignoring the partial last record" in \
                r.stderr.decode()


def test_convert_to_a_file_and_errors(tmp_path):
    out = tmp_path / "out.trace"
    r = run("convert", ROOT / "sample-traces" / "sampled.trace", "--binary", "-o", out)
    assert r.returncode == 0 and r.stdout == b""
    assert out.read_bytes().startswith(MAGIC)
    # bad input: exit 2, and no half trace is left behind
    bad_trace = tmp_path / "bad.trace"
    bad_trace.write_text("refscope-trace 1\nT 1 x\nA 10 16 1\nX\n")
    out2 = tmp_path / "out2.trace"
    r = run("convert", bad_trace, "-o", out2)
    assert r.returncode == 2
    assert f"{bad_trace}:4: unknown record 'X'" in r.stderr.decode()
    assert not out2.exists()


def test_convert_help_names_its_options():
    r = run("convert", "--help")
    assert r.returncode == 0
    for word in (b"--binary", b"-o,--output", b"TRACE"):
        assert word in r.stdout
