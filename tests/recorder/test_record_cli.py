"""`refscope record` as a command: what it runs, what it writes, what it exits with."""
import os
import re
import subprocess
import textwrap

import pytest

import trace_model
from conftest import REFSCOPE


def test_exit_status_and_arguments_pass_through(python, record):
    r = record(python, """
        import sys
        print("args", sys.argv[1:])
        sys.exit(3)
    """, args=["a", "b c"])
    assert r.returncode == 3
    assert "args ['a', 'b c']" in r.stdout
    assert r.trace.exists()


def test_killed_program_exits_128_plus_signal(python, record):
    r = record(python, "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert r.returncode == 128 + 15


def test_trace_header_and_metadata(python, record):
    r = record(python, "x = [1, 2, 3]")
    assert r.returncode == 0, r.stderr
    st = trace_model.replay(r.trace)
    version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True).stdout.strip()
    assert st.meta["refs"] == "sampled"
    assert st.meta["python"] == version
    assert st.meta["pid"].isdigit()
    assert "prog.py" in st.meta["argv"]
    assert st.markers[0] == "start" and st.markers[-1] == "exit"
    assert not st.anomalies, st.anomalies


def test_module_and_code_and_default_name(python, tmp_path, refscope):
    for program, name in ((["-m", "json.tool", "--help"], "json.tool"), (["-c", "print(1)"], "c")):
        proc = subprocess.run([refscope, "record", "--", python, *program], cwd=tmp_path, capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr
        traces = [p for p in os.listdir(tmp_path) if p.startswith("refscope-%s." % name)]
        assert len(traces) == 1 and traces[0].endswith(".trace.zst"), traces
        st = trace_model.replay(tmp_path / traces[0])
        assert st.markers[-1] == "exit"


def test_percent_p_gives_forked_children_their_own_trace(python, record, tmp_path):
    r = record(python, """
        import os, refscope_record
        child = os.fork()
        if child == 0:
            kept = [object() for _ in range(10)]
            refscope_record.mark("in-child")
            os._exit(0)
        os.waitpid(child, 0)
        print(child)
    """, name="fork.%p.trace")
    assert r.returncode == 0, r.stderr
    child = r.stdout.split()[-1]
    child_trace = tmp_path / ("fork.%s.trace" % child)
    assert child_trace.exists()
    st = trace_model.replay(child_trace, until="in-child")
    assert st.meta["pid"] == child
    assert not st.anomalies, st.anomalies


def test_mark_without_recording_is_a_no_op(python):
    version = subprocess.run([python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    recdir = os.path.join(os.path.dirname(REFSCOPE), "recorder", version)
    proc = subprocess.run([python, "-c", "import refscope_record as r; r.mark('x'); print(r.is_recording())"],
                          env=dict(os.environ, PYTHONPATH=recdir), capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "False", proc.stderr


def test_usage_errors_exit_2(refscope, tmp_path):
    assert subprocess.run([refscope, "record"], capture_output=True).returncode == 2
    assert subprocess.run([refscope, "record", "-o", "-", "--", "/usr/bin/python3", "-c", "1"],
                          capture_output=True).returncode == 2
    assert subprocess.run([refscope, "record", "--", str(tmp_path / "no-such-python"), "-c", "1"],
                          capture_output=True).returncode == 2


def test_unwritable_output_warns_and_program_goes_on(python, record, tmp_path):
    # /dev/full fails every write: the recording stops with a warning, the program finishes normally.
    proc = subprocess.run([REFSCOPE, "record", "-o", "/dev/full", "--", python, "-c",
                           "x = [str(i) for i in range(300000)]; print('done')"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "done" in proc.stdout
    assert "refscope:" in proc.stderr and "No space left" in proc.stderr


@pytest.mark.parametrize("name", ["cap.trace", "cap.trace.zst"])
@pytest.mark.parametrize("encoding", ["binary", "text"])
def test_a_size_cap_keeps_a_readable_prefix_cut_at_a_record(python, record, tmp_path, name, encoding):
    # Given a cap far below the first checkpoint (an idle interpreter's is over 1 MB)
    r = record(python, "x = [str(i) for i in range(100000)]; print('done')", "--max-size", "65536",
               *(["--text"] if encoding == "text" else []), name=name)
    # Then the program runs to its end, and stderr says the trace was cut, and where (a record of the binary)
    assert r.returncode == 0 and "done" in r.stdout, r.stderr
    unit = "record" if encoding == "binary" else "line"
    match = re.search(r"the trace \S+ reached its size cap of 65536 bytes: cut after %s (\d+); the program goes on"
                      % unit, r.stderr)
    assert match, r.stderr
    # And the file is a readable prefix under the cap, cut at a record and ended by `E cap`
    assert 4096 < r.trace.stat().st_size <= 65536
    st = trace_model.replay(r.trace)
    assert not st.truncated and st.end == ("cap", "65536 bytes")
    assert st.meta["refs"] == "sampled" and st.markers == []
    raw = subprocess.run(["zstd", "-dcf", str(r.trace)], capture_output=True).stdout
    assert raw.startswith(b"\x89RSB\x02\x01" if encoding == "binary" else b"refscope-trace 2\n")
    text = [line.rstrip("\n") for line in trace_model.text_lines(r.trace)]
    assert text[-1] == "E cap 65536 bytes" and len(text) - 1 == int(match.group(1))
    # And refscope reads it with the truncation warning
    summary = subprocess.run([REFSCOPE, "summary", str(r.trace)], capture_output=True, text=True)
    assert summary.returncode == 0
    assert "cut short" in summary.stdout
    assert "the recorder cut the trace here at its size cap of 65536 bytes" in summary.stderr


def test_a_cap_too_small_for_the_header_is_a_usage_error(python, record):
    r = record(python, "print('never')", "--max-size", "100")
    assert r.returncode == 2 and "--max-size" in r.stderr and "never" not in r.stdout


def test_quiet_silences_record(python, record):
    for options in (["-q"], ["--max-size", "65536", "-q"]):
        r = record(python, "x = [str(i) for i in range(100000)]", *options)
        assert r.returncode == 0 and r.stderr == "", r.stderr
    proc = subprocess.run([REFSCOPE, "-q", "record", "-o", "/dev/null", "--", python, "-c", "pass"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == ""


STOPPED = """
    import sys, refscope_record
    rec = refscope_record.start(sys.argv[1])
    early = [object() for _ in range(100)]
    refscope_record.mark("measured")
    late = [object() for _ in range(100)]  # made after the last mark, alive at the stop
    print(" ".join(hex(id(o)) for o in late), flush=True)
    label = sys.argv[2]
    rec.stop(None if label == "-" else label)
    print("recording" if refscope_record.is_recording() else "stopped")
"""


@pytest.mark.parametrize("label,final", [("-", None), ("done", "done")])
def test_stop_with_no_label_closes_the_trace_without_a_last_checkpoint(python, tmp_path, label, final):
    version = subprocess.run([python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    recdir = os.path.join(os.path.dirname(REFSCOPE), "recorder", version)
    script = tmp_path / "stopped.py"
    script.write_text(textwrap.dedent(STOPPED))
    trace = tmp_path / "stopped.trace"
    # Given a program that records itself, marks, makes 100 more objects and stops with stop(None) or stop(label)
    proc = subprocess.run([python, str(script), str(trace), label], env=dict(os.environ, PYTHONPATH=recdir),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    late_line, state = proc.stdout.split("\n")[:2]
    assert state == "stopped"
    late = [int(a, 16) for a in late_line.split()]
    st = trace_model.replay(trace)
    # Then the trace ends cleanly either way, with a last checkpoint only when a label was given
    assert st.end == ("stop", "")
    assert st.markers == ["start", "measured"] + ([final] if final else [])
    assert not st.anomalies, st.anomalies
    # And the objects made after the last mark are there when the last checkpoint ran (without it, only 3.13's
    # reference tracer reports them)
    if final:
        assert sum(a in st.objs for a in late) == 100
    # And refscope reads it without the warning about a missing final checkpoint
    summary = subprocess.run([REFSCOPE, "summary", str(trace)], capture_output=True, text=True)
    assert summary.returncode == 0 and "without a final checkpoint" not in summary.stderr, summary.stderr
