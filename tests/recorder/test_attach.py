"""`refscope attach PID`: record a Python service that is already running, then leave it as it was."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import trace_model
from conftest import REFSCOPE
from service_support import Program, assert_no_anomalies, markers, wait_for

# A service that waits for commands on stdin (blocked in read(), as an idle service waits for requests) and
# grows on request. `state` prints what an attach could leave behind; `mark` is a checkpoint when the service
# runs under `refscope record` (and a no-op otherwise).
SERVICE = """
    import gc, json, os, signal, sys, threading, time
    try:
        import refscope_record
    except ImportError:
        refscope_record = None

    class Node:
        def __init__(self, i):
            self.payload = Payload(i)

    class Payload:
        def __init__(self, i):
            self.i = i

    kept = []

    def state():
        with open("/proc/self/status") as f:
            caught = [l.split()[1] for l in f if l.startswith("SigCgt")][0]
        return {
            "modules": sorted(m for m in sys.modules if "refscope" in m),
            "gc_callbacks": len(gc.callbacks),
            "threads": len(os.listdir("/proc/self/task")),
            "fds": len(os.listdir("/proc/self/fd")),
            "caught": caught,
            "sigterm": str(signal.getsignal(signal.SIGTERM)),
        }

    # The C library installs a handler for one of its internal signals the first time a process starts a thread,
    # and keeps it: a service with a thread already has it, as the recorder's threads would leave it.
    tasks = len(os.listdir("/proc/self/task"))
    started = threading.Thread(target=lambda: None)
    started.start()
    started.join()
    # join() returns when the thread's Python part is done; the kernel's task can outlive it for a moment.
    for _ in range(5000):
        if len(os.listdir("/proc/self/task")) == tasks:
            break
        time.sleep(0.001)
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "grow":
            kept.extend(Node(i) for i in range(int(args[0])))
            print("grew", len(kept), flush=True)
        elif command == "mark":
            if refscope_record is not None:
                refscope_record.mark(args[0])
            print("marked", flush=True)
        elif command == "state":
            print("state", json.dumps(state()), flush=True)
        elif command == "exit":
            print("total", len(kept), flush=True)
            sys.exit(3)
"""


def start_service(python, tmp_path, source=SERVICE):
    script = tmp_path / "service.py"
    script.write_text(textwrap.dedent(source))
    p = Program([python, str(script)], tmp_path, stdin=subprocess.PIPE)
    p.expect("ready")
    return p


def tell(p, command, answer):
    p.proc.stdin.write((command + "\n").encode())
    p.proc.stdin.flush()
    return p.expect(answer)


def attach(pid, tmp_path, *options):
    return Program([REFSCOPE, "attach", str(pid), *options], tmp_path)


def growth(trace, start, end):
    """Objects of the program's own classes made after marker `start` and alive at marker `end`."""
    lines = trace_model_lines(trace)
    start_line = lines.index("M " + start) + 1
    st = trace_model.replay(trace, until=end)
    counts = {}
    for addr, o in st.objs.items():
        name = st.types.get(o.type, "?")
        if o.line > start_line and name.startswith("__main__."):
            counts[name] = counts.get(name, 0) + 1
    return counts


def trace_model_lines(trace):
    return [l.rstrip("\n") for l in trace_model.text_lines(trace)]


def test_attach_records_a_running_service_and_leaves_it_as_it_was(python, tmp_path):
    # Given a service that has been running (and growing) before refscope attaches
    service = start_service(python, tmp_path)
    try:
        tell(service, "grow 300", "grew")
        before = json.loads(tell(service, "state", "state"))
        trace = tmp_path / "attached.trace"
        # When refscope attaches, the service grows while it records, and refscope is interrupted
        a = attach(service.pid, tmp_path, "-o", str(trace))
        wait_for(lambda: "attach" in markers(trace), "the first checkpoint")
        tell(service, "grow 1000", "grew")
        a.signal(signal.SIGINT)
        assert a.wait() == 0, a.stderr()
        assert "detached from process %d" % service.pid in a.stderr()
        # Then the service goes on as before: nothing of the recorder is left in it
        after = json.loads(tell(service, "state", "state"))
        assert after == before
        tell(service, "grow 10", "grew")
        assert tell(service, "exit", "total") == "1310"
        assert service.wait() == 3
        assert service.stderr() == ""
    finally:
        service.kill()
    # And the trace holds the first and the last checkpoint, closed cleanly
    st = trace_model.replay(trace)
    assert st.markers == ["attach", "detach"]
    assert st.end == ("detach", "")
    assert_no_anomalies(st)
    attached_growth = growth(trace, "attach", "detach")

    # And the growth seen while attached is what the same service recorded from its start shows for that interval
    recorded = tmp_path / "recorded.trace"
    script = tmp_path / "service.py"
    r = Program([REFSCOPE, "record", "-o", str(recorded), "--", python, str(script)], tmp_path,
                stdin=subprocess.PIPE)
    try:
        r.expect("ready")
        tell(r, "grow 300", "grew")
        tell(r, "mark before", "marked")
        tell(r, "grow 1000", "grew")
        tell(r, "mark after", "marked")
        tell(r, "exit", "total")
        assert r.wait() == 3
    finally:
        r.kill()
    assert attached_growth == growth(recorded, "before", "after") == {"__main__.Node": 1000,
                                                                      "__main__.Payload": 1000}


def test_attach_to_a_cpu_bound_program(python, tmp_path):
    # Given a single-threaded program busy in a Python loop (no thread ever blocks)
    script = tmp_path / "busy.py"
    script.write_text(textwrap.dedent("""
        import signal, sys
        done = []
        signal.signal(signal.SIGUSR1, lambda *_: done.append(1))
        kept = []
        print("ready", flush=True)
        while not done:
            kept.append(len(kept))  # small ints: cached, so the loop allocates only when the list grows
            if len(kept) > 200:
                kept.clear()
        print("looped", flush=True)
    """))
    busy = Program([python, str(script)], tmp_path)
    try:
        busy.expect("ready")
        trace = tmp_path / "busy.trace"
        # When refscope attaches for a moment (quietly)
        a = attach(busy.pid, tmp_path, "-q", "-o", str(trace), "--duration", "0.5")
        assert a.wait() == 0, a.stderr()
        assert a.stderr() == ""
        # Then it recorded, and the program goes on to its normal end
        busy.signal(signal.SIGUSR1)
        assert busy.expect("looped") == ""
        assert busy.wait() == 0
        assert busy.stderr() == ""
    finally:
        busy.kill()
    st = trace_model.replay(trace)
    assert st.markers == ["attach", "detach"] and st.end == ("detach", "")


def test_attach_refuses_what_it_cannot_record(tmp_path):
    # A process that is not Python
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        r = subprocess.run([REFSCOPE, "attach", str(sleeper.pid)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2
        assert "is not a Python process" in r.stderr
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()
    # A process that is gone
    gone = subprocess.Popen(["true"])
    gone.wait()
    r = subprocess.run([REFSCOPE, "attach", str(gone.pid)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "there is no process %d" % gone.pid in r.stderr
    # A Python too old for the recorder
    old = "/root/.pyenv/versions/3.10.13/bin/python3"
    if os.path.exists(old):
        p = Program([old, "-c", "import time; print('ready', flush=True); time.sleep(60)"], tmp_path)
        try:
            p.expect("ready")
            r = subprocess.run([REFSCOPE, "attach", str(p.pid)], capture_output=True, text=True, timeout=60)
            assert r.returncode == 2 and "older than 3.11" in r.stderr, r.stderr
            assert p.proc.poll() is None
        finally:
            p.kill()


def test_attach_to_a_process_already_recorded(python, tmp_path):
    # Given a service running under `refscope record`
    trace = tmp_path / "recorded.trace"
    script = tmp_path / "service.py"
    script.write_text(textwrap.dedent(SERVICE))
    r = Program([REFSCOPE, "record", "-o", str(trace), "--", python, str(script)], tmp_path, stdin=subprocess.PIPE)
    try:
        r.expect("ready")
        with open("/proc/%d/task/%d/children" % (r.pid, r.pid)) as f:
            program = int(f.read().split()[0])
        # When refscope attaches to it
        a = subprocess.run([REFSCOPE, "attach", str(program), "-o", str(tmp_path / "second.trace")],
                           capture_output=True, text=True, timeout=120)
        # Then it refuses, and the recording and the program go on undisturbed
        assert a.returncode == 2
        assert "already being recorded" in a.stderr, a.stderr
        assert not (tmp_path / "second.trace").exists()
        tell(r, "grow 5", "grew")
        tell(r, "exit", "total")
        assert r.wait() == 3
    finally:
        r.kill()
    st = trace_model.replay(trace)
    assert st.end == ("exit", "") and st.markers == ["start", "exit"]


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run refscope as another user")
def test_attach_without_ptrace_permission(python, tmp_path):
    service = start_service(python, tmp_path)
    try:
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", REFSCOPE, "attach",
                            str(service.pid), "-o", "/tmp/never.trace"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2
        assert "ptrace" in r.stderr and "same user" in r.stderr, r.stderr
        assert tell(service, "grow 1", "grew") == "1"
    finally:
        service.kill()


def test_a_process_that_never_runs_python_again_is_left_alone(python, tmp_path):
    # Given a program whose only thread waits on a lock (no safe place to start code, and no bytecode to run a
    # pending call at), until SIGUSR1
    script = tmp_path / "waits.py"
    script.write_text(textwrap.dedent("""
        import signal, sys, threading
        lock = threading.Lock()
        lock.acquire()
        signal.signal(signal.SIGUSR1, lambda *_: lock.release())
        print("ready", flush=True)
        lock.acquire()
        print("modules", sorted(m for m in sys.modules if "refscope" in m), flush=True)
    """))
    p = Program([python, str(script)], tmp_path)
    try:
        p.expect("ready")
        # When refscope gives up waiting for it
        r = subprocess.run([REFSCOPE, "attach", str(p.pid), "--start-timeout", "1", "-o", str(tmp_path / "t.trace")],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2
        assert "did not start the recorder within 1 s" in r.stderr, r.stderr
        # Then the program, woken later, runs on without a trace of the attempt
        p.signal(signal.SIGUSR1)
        assert p.expect("modules") == "[]"
        assert p.wait() == 0
        assert p.stderr() == ""
    finally:
        p.kill()
    assert not (tmp_path / "t.trace").exists()


@pytest.mark.parametrize("how", ["exit", "SIGKILL"])
def test_a_process_that_ends_while_attached(python, tmp_path, how):
    # Given a service refscope has attached to and recorded a checkpoint of
    service = start_service(python, tmp_path)
    trace = tmp_path / "attached.trace"
    try:
        tell(service, "grow 100", "grew")
        a = attach(service.pid, tmp_path, "-o", str(trace))
        wait_for(lambda: "attach" in markers(trace), "the first checkpoint")
        # When the service ends on its own (its normal exit), or is killed, while refscope records it
        if how == "exit":
            assert tell(service, "exit", "total") == "100"
            assert service.wait() == 3  # its own status and output, as without refscope
            assert service.stderr() == ""
        else:
            service.proc.kill()
            assert service.wait() == -signal.SIGKILL
        # Then refscope says so and exits 2, leaving a trace that says how far it goes
        assert a.wait() == 2
    finally:
        service.kill()
        a.kill()
    st = trace_model.replay(trace)
    if how == "exit":
        # The program's end was recorded as with `refscope record`: a final checkpoint, the trace closed
        assert "process %d ended while recording (exit)" % service.pid in a.stderr(), a.stderr()
        assert st.markers == ["attach", "exit"] and st.end == ("exit", "")
        assert_no_anomalies(st)
    else:
        assert "process %d ended while recording; its trace %s ends at its last checkpoint" % (
            service.pid, trace) in a.stderr(), a.stderr()
        assert st.markers == ["attach"] and st.end is None
        summary = subprocess.run([REFSCOPE, "summary", str(trace)], capture_output=True, text=True)
        assert summary.returncode == 0 and "without a final checkpoint" in summary.stderr, summary.stderr


@pytest.mark.skipif(os.getuid() != 0, reason="needs root for a private mount namespace")
def test_attach_to_a_python_whose_recorder_is_not_built(python, tmp_path):
    # Given a running service, and refscope in a mount namespace of its own where the recorder built for that
    # Python's version is hidden (an empty directory mounted over it), as in a build made without it
    # (refscope looks in its build tree and in the install tree its build was configured for: a machine where
    # refscope was also installed has a recorder there too, so both are hidden)
    service = start_service(python, tmp_path)
    version = "%d.%d" % tuple(int(x) for x in python_version(python))
    recorder = os.path.join(os.path.dirname(REFSCOPE), "recorder", version)
    hidden = [d for d in (recorder, installed_recorder_dir(version)) if d and os.path.isdir(d)]
    try:
        before = json.loads(tell(service, "state", "state"))
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            'r=$1 p=$2 o=$3; shift 3; for d; do mount -t tmpfs none "$d" || exit 9; done; '
                            'exec "$r" attach "$p" -o "$o"', "sh", REFSCOPE, str(service.pid),
                            str(tmp_path / "t.trace"), *hidden], capture_output=True, text=True, timeout=60)
        # When refscope attaches to it: it says what is missing and how to build it, exits 2, and never touches the
        # process
        assert r.returncode == 2, r.stderr
        assert "attach: no recorder built for Python %s" % version in r.stderr, r.stderr
        assert "-DREFSCOPE_RECORDER_PYTHONS" in r.stderr
        assert json.loads(tell(service, "state", "state")) == before
        assert tell(service, "grow 1", "grew") == "1"
    finally:
        service.kill()
    assert not (tmp_path / "t.trace").exists()
    assert os.path.isfile(os.path.join(recorder, "sitecustomize.py"))  # hidden from refscope only


def installed_recorder_dir(version):
    """Where `cmake --install` of this build puts the recorder for Python `version`, from its CMake cache."""
    cache = {}
    try:
        with open(os.path.join(os.path.dirname(REFSCOPE), "CMakeCache.txt")) as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    cache[key.split(":")[0]] = value
    except OSError:
        return None
    prefix, libdir = cache.get("CMAKE_INSTALL_PREFIX"), cache.get("CMAKE_INSTALL_LIBDIR", "lib")
    if not prefix:
        return None
    return os.path.join(prefix, libdir, "refscope", "python", version)


def python_version(python):
    out = subprocess.run([python, "-I", "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                         text=True, check=True)
    return out.stdout.split()
