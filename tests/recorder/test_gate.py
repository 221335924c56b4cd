"""The leak gate on recorded programs: marks that collect first, the exit checkpoint that sees the heap as
finalization does, and `check --repeat` counting growth of any kind."""
import json
import subprocess

import trace_model
from conftest import REFSCOPE

CYCLES = """
    import gc, json, refscope_record
    gc.set_threshold(100000, 1000, 1000)   # the collector will not run by itself in this short program
    class Node:
        def __init__(self):
            self.peer = None
    def make(n):
        for _ in range(n):
            a, b = Node(), Node()
            a.peer, b.peer = b, a
    refscope_record.mark("before")
    make(20)
    refscope_record.mark("plain")
    make(20)
    found = gc.collect()          # CPython's own answer: what the collector frees at this point
    gc.collect()
    refscope_record.mark("after-own-collect")
    make(20)
    refscope_record.mark("collected", collect=True)
    print(json.dumps(found))
"""


def check(trace, *args):
    proc = subprocess.run([REFSCOPE, "check", str(trace), *args, "--format", "json"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def cyclic_objects(report):
    return sum(g["objects"] for g in report["groups"] if g["kind"] == "cyclic")


def test_a_mark_that_collects_sees_no_cyclic_garbage(python, record):
    r = record(python, CYCLES)
    assert r.returncode == 0, r.stderr
    found = r.facts()
    assert found >= 40  # 20 pairs of Nodes (and their dicts on 3.11)
    # Without collecting, the 20 pairs made after `before` are there at `plain`, as the collector finds them.
    status, report = check(r.trace, "--from", "before", "--at", "plain")
    assert status == 1
    assert cyclic_objects(report) >= 40
    # With collect=True the mark sees the heap as gc.collect() leaves it: no cyclic garbage.
    status, report = check(r.trace, "--from", "after-own-collect", "--at", "collected")
    assert cyclic_objects(report) == 0, report["groups"]
    st = trace_model.replay(r.trace, until="collected")
    assert st.gc_open == 0


def test_the_exit_checkpoint_collects_when_the_collector_is_enabled(python, record):
    program = """
        import gc
        {disable}
        class Node:
            pass
        def make():
            for _ in range(10):
                a, b = Node(), Node()
                a.peer, b.peer = b, a
        make()
    """
    r = record(python, program.format(disable=""))
    assert r.returncode == 0, r.stderr
    status, report = check(r.trace, "--fail-on", "cyclic")
    assert cyclic_objects(report) == 0, report["groups"]
    # With the collector disabled, finalization does not collect either: the exit checkpoint sees the cycles.
    r = record(python, program.format(disable="gc.disable()"), name="disabled.trace")
    assert r.returncode == 0, r.stderr
    status, report = check(r.trace, "--fail-on", "cyclic")
    assert status == 1
    assert cyclic_objects(report) >= 20


def test_repeat_fails_on_a_module_level_list_that_grows(python, record):
    r = record(python, """
        import json, refscope_record
        HISTORY = []
        CACHE = {}
        def run(i):
            HISTORY.append("request %d" % i)       # grows every iteration: a leak, as regrtest -R says
            CACHE.setdefault("config", ["x"] * 3)  # fills once: no leak
        for i in range(5):
            run(i)
            refscope_record.mark("iteration", collect=True)
        print(json.dumps(len(HISTORY)))
    """)
    assert r.returncode == 0, r.stderr
    assert r.facts() == 5
    status, report = check(r.trace, "--repeat", "iteration", "--warmup", "2")
    assert status == 1, report["reason"]
    failing = [g for g in report["groups"] if g["fails"]]
    assert any(g["type"] == "builtins.str" and g["kind"] == "retained" and g["site"] and
               g["site"].endswith("prog.py:6 in run") for g in failing), failing
    assert not any(g["type"] == "builtins.list" and g["site"] and g["site"].endswith("prog.py:7 in run")
                   for g in failing), failing
    # The same trace passes a gate that only fails on unowned and cyclic objects.
    status, report = check(r.trace, "--repeat", "iteration", "--warmup", "2", "--fail-on", "unowned,cyclic")
    assert status == 0, report["reason"]
