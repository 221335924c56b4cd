"""`refscope record` as a command: what it runs, what it writes, what it exits with."""
import os
import subprocess

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
