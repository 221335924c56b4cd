"""The recorder writes the binary encoding by default and text on request: nothing the reports need is lost.

One program is recorded both ways. Two runs of a program are never the same to the byte (addresses, the pid, the
interpreter's own start-up work), so the two traces are compared on what the program itself did between its
markers: its leaks by type, site and kind, its garbage cycles, its live objects by type, the gate's verdict. And
each binary trace gives every report byte for byte the same as its own text conversion."""
import json
import os
import subprocess
import textwrap

import pytest

import trace_model
from conftest import REFSCOPE

PROGRAM = """
    import refscope_record

    class Node:
        def __init__(self, i):
            self.i = i
            self.peer = None

    class Entry:
        def __init__(self, i):
            self.i = i

    cache = {}
    refscope_record.mark("start")
    for i in range(300):
        a, b = Node(i), Node(-i)
        a.peer, b.peer = b, a          # garbage cycles: the collector frees most, the last stay
        if i % 10 == 0:
            cache[i] = Entry(i)        # retained by a module global
    kept = [Node(i) for i in range(7)]
    refscope_record.mark("end")
"""


def record_both(python, tmp_path, name):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(PROGRAM))
    traces = {}
    for encoding, flag in (("binary", "0"), ("text", "1")):
        trace = tmp_path / encoding / name
        trace.parent.mkdir()
        # The same environment for both (REFSCOPE_RECORD_TEXT set either way), so the programs run alike.
        env = dict(os.environ, REFSCOPE_RECORD_TEXT=flag)
        proc = subprocess.run([REFSCOPE, "record", "-q", "-o", str(trace), "--", python, str(script)],
                              capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        traces[encoding] = trace
    return traces


def report(trace, *args):
    proc = subprocess.run([REFSCOPE, *args, str(trace), "--format", "json"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def program_figures(trace):
    """What the program did between its markers, as the reports give it."""
    leaks = report(trace, "leaks", "--from", "start", "--to", "end")
    cycles = report(trace, "cycles", "--at", "end")
    summary = report(trace, "summary", "--at", "end")
    check = report(trace, "check", "--from", "start", "--to", "end", "--fail-on", "cyclic")
    main_groups = sorted((g["type"], g["site"], g["kind"], g["objects"], g["bytes"]) for g in leaks["groups"]
                         if g["type"].startswith("__main__."))
    main_types = sorted((t["type"], t["objects"], t["bytes"]) for t in summary["types"]
                        if t["type"].startswith("__main__."))
    return {
        "leak groups": main_groups,
        "cycles": (cycles["cycle_count"], cycles["cycle_objects"], cycles["cycle_bytes"]),
        "live types": main_types,
        "gate": (check["verdict"], check["reason"]),
    }


@pytest.mark.parametrize("name", ["prog.trace", "prog.trace.zst"])
def test_a_program_recorded_both_ways_gives_the_same_figures(python, tmp_path, name):
    traces = record_both(python, tmp_path, name)
    raw = {e: subprocess.run(["zstd", "-dcf", str(t)], capture_output=True).stdout for e, t in traces.items()}
    assert raw["binary"].startswith(b"\x89RSB\x02\x01")
    assert raw["text"].startswith(b"refscope-trace 2\n")
    assert len(raw["binary"]) * 2 < len(raw["text"])
    figures = {e: program_figures(t) for e, t in traces.items()}
    assert figures["binary"] == figures["text"]
    # and they are what the program did: 30 entries retained, 7 nodes kept, the last pairs on cycles
    groups = figures["binary"]["leak groups"]
    assert any(g[0] == "__main__.Entry" and g[2] == "retained" and g[3] == 30 for g in groups), groups
    assert sum(g[3] for g in groups if g[0] == "__main__.Node" and g[2] == "retained") >= 7, groups
    assert figures["binary"]["cycles"][0] >= 1


def test_a_recorded_binary_trace_reads_as_its_text_conversion(python, tmp_path):
    traces = record_both(python, tmp_path, "prog.trace.zst")
    binary = traces["binary"]
    converted = tmp_path / "converted" / "prog.trace.zst"
    converted.parent.mkdir()
    proc = subprocess.run([REFSCOPE, "convert", str(binary), "-o", str(converted)], capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert converted.read_bytes().startswith(b"refscope-trace 2\n")
    for args in (["summary"], ["leaks", "--from", "start"], ["cycles"], ["sharing"], ["check", "--from", "start"],
                 ["diff", "--from", "start", "--to", "end"], ["why", "--type", "__main__.Entry"]):
        outs = []
        for trace in (binary, converted):
            proc = subprocess.run([REFSCOPE, args[0], str(trace.name), *args[1:], "--format", "json"],
                                  capture_output=True, cwd=trace.parent, timeout=300)
            outs.append((proc.returncode, proc.stdout))
        assert outs[0][0] in (0, 1), (args, outs[0])
        # the same bytes but the encoding each reports (zstd and plain)
        assert outs[0][1].replace(b'"zstd"', b'"plain"') == outs[1][1], args
    # the independent model agrees with the conversion: no anomaly, the markers in place
    st = trace_model.replay(binary)
    assert "start" in st.markers and "end" in st.markers
