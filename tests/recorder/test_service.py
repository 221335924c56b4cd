"""A recorded service: checkpoints on time whatever the program does, signals passed on and acted on, and nothing
lost that a checkpoint saw when the program is killed."""
import json
import os
import signal
import subprocess

import pytest

import trace_model
from conftest import REFSCOPE
from service_support import assert_no_anomalies, markers, markers_after, record, wait_for, SIGNALS

# Each phase blocks the program in its own way until SIGUSR1 (whose Python handler raises Release).
PHASES = """
    import os, signal, socket, sys, threading, time
    import refscope_record

    class Release(Exception):
        pass

    def release(*_):
        raise Release

    def spin():
        while True:  # busy without allocating (n += 1 would make an int a turn: a huge trace)
            pass

    signal.signal(signal.SIGUSR1, release)
    print("pid", os.getpid(), flush=True)
    for phase in sys.argv[1:]:
        refscope_record.mark(phase)
        print("in", phase, flush=True)
        try:
            if phase == "sleep":
                time.sleep(600)
            elif phase == "accept":
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                s.listen()
                s.accept()
            elif phase == "loop":
                while True:
                    pass
            elif phase == "threads":
                workers = [threading.Thread(target=spin, daemon=True) for _ in range(2)]
                for w in workers:
                    w.start()
                workers[0].join()
        except Release:
            pass
    print("done", flush=True)
"""


def test_periodic_checkpoints_run_while_blocked_busy_or_threaded(python, tmp_path):
    # Given a program that sleeps, waits in accept(), loops on the CPU, and waits on busy threads, in turn
    trace = tmp_path / "prog.trace"
    p = record(python, tmp_path, PHASES, "--checkpoint-every", "100", args=["sleep", "accept", "loop", "threads"])
    try:
        pid = int(p.expect("pid"))
        for phase in ("sleep", "accept", "loop", "threads"):
            assert p.expect("in") == phase
            # Then periodic checkpoints go on in each phase (before, none ran while the main thread was blocked,
            # nor during a CPU-bound loop on 3.11)
            wait_for(lambda: markers_after(trace, phase).count("checkpoint") >= 2,
                     "two periodic checkpoints during phase %s" % phase)
            subprocess.run(["kill", "-USR1", str(pid)], check=True)
        assert p.expect("done") == ""
        assert p.wait() == 0, p.stderr()
    finally:
        p.kill()
    st = trace_model.replay(trace)
    assert st.markers[-1] == "exit" and st.end == ("exit", "")
    assert_no_anomalies(st)  # checkpoints from the service thread see the heap as any other does


def test_checkpoint_signal_while_blocked_gives_one_checkpoint(python, tmp_path):
    # Given a program blocked in sleep, recorded without periodic checkpoints
    trace = tmp_path / "prog.trace"
    p = record(python, tmp_path, PHASES, args=["sleep"])
    try:
        pid = int(p.expect("pid"))
        p.expect("in sleep")
        # When refscope gets SIGUSR2 (passed on to the program)
        p.signal(signal.SIGUSR2)
        # Then one checkpoint runs at once, though the program sleeps
        wait_for(lambda: "signal" in markers_after(trace, "sleep"), "the signalled checkpoint")
        subprocess.run(["kill", "-USR1", str(pid)], check=True)
        assert p.wait() == 0, p.stderr()
    finally:
        p.kill()
    assert markers(trace) == ["start", "sleep", "signal", "exit"]


def test_signals_during_a_checkpoint_are_not_dropped(python, tmp_path):
    # Given a program that makes many objects on request (the next checkpoint introduces them all, writing
    # megabytes of records before its marker), blocked in a read between requests
    trace = tmp_path / "prog.trace"
    p = record(python, tmp_path, """
        import sys
        heap = []
        print("ready", flush=True)
        for line in sys.stdin:
            heap.extend({"k": [i]} for i in range(100000))
            print("made", flush=True)
    """, stdin=subprocess.PIPE)
    try:
        p.expect("ready")
        program = _program_pid(p)
        for attempt in range(3):
            p.proc.stdin.write(b"more\n")
            p.proc.stdin.flush()
            p.expect("made")
            signals = markers(trace).count("signal")
            size = os.path.getsize(trace)
            # When a checkpoint signal starts a checkpoint, and another comes while it is still writing
            os.kill(program, signal.SIGUSR2)
            wait_for(lambda: os.path.getsize(trace) > size + (2 << 20), "the checkpoint to be under way")
            if markers(trace).count("signal") == signals:
                os.kill(program, signal.SIGUSR2)
                break
        else:
            raise AssertionError("could not catch a checkpoint under way in 3 attempts")
        # Then that one gets a checkpoint of its own, after the first
        wait_for(lambda: markers(trace).count("signal") == signals + 2, "a checkpoint for the signal that came during one")
        p.proc.stdin.close()
        assert p.wait() == 0, p.stderr()
    finally:
        p.kill()
    assert markers(trace).count("signal") == signals + 2


# A checkpoint that walks this heap takes far longer than a period of 1 ms. The main thread then spins (without
# allocating) until it has had half a second of CPU, and says how much CPU the recorder's threads had meanwhile.
SLOW_CHECKPOINTS = """
    import json, os, threading, time
    heap = [{"k": [i]} for i in range(50000)]
    spin = [None] * 100000

    def others_cpu():
        ticks = 0
        me = str(threading.get_native_id())
        for tid in os.listdir("/proc/self/task"):
            if tid != me:
                try:
                    with open("/proc/self/task/%s/stat" % tid) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except FileNotFoundError:
                    continue
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    main0, others0 = time.thread_time(), others_cpu()
    while time.thread_time() - main0 < 1.5:
        for _ in spin:
            pass
    print(json.dumps({"main": time.thread_time() - main0, "others": others_cpu() - others0}), flush=True)
"""


def test_checkpoints_slower_than_the_period_leave_the_program_half_the_time(python, tmp_path):
    trace = tmp_path / "prog.trace"
    # Given a program whose checkpoints take far longer than the period asked for
    p = record(python, tmp_path, SLOW_CHECKPOINTS, "--checkpoint-every", "1")
    try:
        # When it does 1.5 s of CPU work (before, each checkpoint followed the last as soon as the program had the
        # GIL back, for a millisecond: the program got a few percent of the time, and took minutes). The heap is
        # sized so that one checkpoint takes well under that (about 0.1 s): the rule is about the time between
        # checkpoints, and a window shorter than one checkpoint would measure only where that one fell.
        assert p.wait(timeout=240) == 0, p.stderr()
    finally:
        p.kill()
    cpu = json.loads(p.lines[-1])
    # Then periodic checkpoints ran meanwhile, but the recorder's threads had no more CPU than the program, give
    # or take what the machine's load does to either (the rule gives the program at least half the time)
    assert markers(trace).count("checkpoint") >= 3
    assert cpu["others"] <= 2.0 * cpu["main"], cpu


def _program_pid(p):
    """The Python program under `refscope record` (its only child)."""
    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
        children = f.read().split()
    assert len(children) == 1, children
    return int(children[0])


# --- Signals sent to `refscope record` --------------------------------------------------------------------------

HANDLERS = """
    import os, signal, sys, time
    got = []
    def handler(sig, frame):
        got.append(sig)
        print("got", signal.Signals(sig).name, flush=True)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
        signal.signal(getattr(signal, name), handler)
    print("ready", flush=True)
    while signal.SIGTERM not in got:
        time.sleep(0.05)
    sys.exit(42)
"""


def test_signals_reach_the_program_once_and_its_status_is_refscopes(python, tmp_path):
    # Given a program with its own handlers for every signal refscope passes on
    p = record(python, tmp_path, HANDLERS)
    try:
        p.expect("ready")
        # When each signal is sent to refscope, SIGTERM last
        for name in ("SIGUSR1", "SIGUSR2", "SIGHUP", "SIGQUIT", "SIGINT", "SIGTERM"):
            p.signal(SIGNALS[name])
            # Then the program's own handler gets it, once
            assert p.read_line() == "got " + name
        # And refscope exits with the program's status, after it
        assert p.wait() == 42, p.stderr()
    finally:
        p.kill()
    assert not [l for l in p.lines if l.startswith("got")][6:], p.lines


WAITS = """
    import sys, time
    print("ready", flush=True)
    sys.stdin.read()
    print("done", flush=True)
"""


@pytest.mark.parametrize("name,status,final", [
    ("SIGTERM", 128 + signal.SIGTERM, ("exit", "SIGTERM")),
    ("SIGHUP", 128 + signal.SIGHUP, ("exit", "SIGHUP")),
    ("SIGQUIT", 128 + signal.SIGQUIT, ("exit", "SIGQUIT")),
    ("SIGINT", 128 + signal.SIGINT, ("exit", "")),   # Python's KeyboardInterrupt, then its exit
    ("SIGUSR1", 128 + signal.SIGUSR1, None),         # its default action: no handler, no final checkpoint
])
def test_a_signal_that_ends_the_program_ends_refscope_with_its_status(python, tmp_path, name, status, final):
    if python != "/usr/bin/python3" and name not in ("SIGTERM", "SIGINT"):
        pytest.skip("the whole set runs on the main interpreter; the rest is the same code")
    trace = tmp_path / "prog.trace"
    # Given a program that keeps the default actions, blocked in a read
    p = record(python, tmp_path, WAITS, stdin=subprocess.PIPE)
    try:
        p.expect("ready")
        # When refscope gets the signal
        p.signal(SIGNALS[name])
        # Then the program dies of it (after a final checkpoint where it has one), and refscope exits 128+N
        assert p.wait() == status, p.stderr()
    finally:
        p.kill()
    st = trace_model.replay(trace)
    assert st.end == final
    if final:
        assert st.markers[-1] == "exit"
    summary = subprocess.run([REFSCOPE, "summary", str(trace)], capture_output=True, text=True)
    assert summary.returncode == 0
    assert ("ended without a final checkpoint" in summary.stderr) == (final is None), summary.stderr


def test_checkpoint_signal_passed_on_gives_one_checkpoint(python, tmp_path):
    trace = tmp_path / "prog.trace"
    p = record(python, tmp_path, WAITS, stdin=subprocess.PIPE)
    try:
        p.expect("ready")
        p.signal(signal.SIGUSR2)
        wait_for(lambda: "signal" in markers(trace), "the checkpoint SIGUSR2 asks for")
        p.proc.stdin.close()
        assert p.wait() == 0, p.stderr()
    finally:
        p.kill()
    assert markers(trace) == ["start", "signal", "exit"]


def test_refscope_killed_takes_the_program_with_it(python, tmp_path):
    trace = tmp_path / "prog.trace"
    p = record(python, tmp_path, WAITS, stdin=subprocess.PIPE)
    try:
        p.expect("ready")
        program = _program_pid(p)
        # When refscope itself is killed (SIGKILL: it cannot pass anything on)
        p.signal(signal.SIGKILL)
        p.wait()
        # Then the program does not run on alone: it gets SIGTERM, and writes its final checkpoint first
        wait_for(lambda: not os.path.exists("/proc/%d/stat" % program) or _zombie(program), "the program's end")
    finally:
        p.kill()
    wait_for(lambda: trace_model.replay(trace).end is not None, "the trace's end")
    assert trace_model.replay(trace).end == ("exit", "SIGTERM")


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in "ZX"
    except FileNotFoundError:
        return True


# --- A program killed: what the last checkpoint saw is in the trace ---------------------------------------------

KILLED = """
    import os, signal, sys, time
    class Keep:
        pass
    def stop(*_):
        os._exit(7)
    signal.signal(signal.SIGUSR1, stop)
    kept = [Keep() for _ in range(500)]
    print("kept", " ".join(hex(id(k)) for k in kept), flush=True)
    if sys.argv[1] == "sleep":
        time.sleep(600)
    else:
        while True:
            pass
"""


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "_exit"])
@pytest.mark.parametrize("doing", ["sleep", "loop"])
def test_a_killed_program_keeps_what_its_last_checkpoint_saw(python, tmp_path, how, doing):
    if python != "/usr/bin/python3" and (how, doing) not in (("SIGKILL", "loop"), ("SIGTERM", "sleep")):
        pytest.skip("the whole matrix runs on the main interpreter")
    trace = tmp_path / "prog.trace"
    # Given a program that made 500 objects and then sleeps, or loops, recorded with periodic checkpoints
    p = record(python, tmp_path, KILLED, "--checkpoint-every", "100", args=[doing])
    try:
        kept = [int(a, 16) for a in p.expect("kept").split()]
        program = _program_pid(p)
        # When a periodic checkpoint has run since (it started after the objects were made: it needs the GIL)
        seen = len(markers(trace))
        wait_for(lambda: len(markers(trace)) > seen, "a checkpoint after the objects were made")
        # And the program is killed
        if how == "_exit":
            os.kill(program, signal.SIGUSR1)
        else:
            os.kill(program, getattr(signal, how))
        code = p.wait()
    finally:
        p.kill()
    assert code == {"SIGKILL": 128 + 9, "SIGTERM": 128 + 15, "_exit": 7}[how], p.stderr()
    # Then every one of those objects is in the trace, alive at its end
    st = trace_model.replay(trace)
    missing = [a for a in kept if a not in st.objs or st.type_name(a) != "__main__.Keep"]
    assert not missing, "%d of %d objects missing" % (len(missing), len(kept))
    assert st.end == (("exit", "SIGTERM") if how == "SIGTERM" else None)
    # And refscope says when a trace has no final checkpoint
    summary = subprocess.run([REFSCOPE, "summary", str(trace)], capture_output=True, text=True)
    assert summary.returncode == 0
    if how == "SIGTERM":
        assert "without a final checkpoint" not in summary.stderr
    else:
        assert "the program ended without a final checkpoint (the last one is at line" in summary.stderr
