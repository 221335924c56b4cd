"""Ground truth: refscope's answers about a recorded program equal CPython's own answers about it."""
import pytest

import trace_model
from conftest import refscope_json

def test_refcounts_at_a_marker_equal_getrefcount(python, record):
    r = record(python, """
        import json, sys, refscope_record
        shared = ["payload"]
        holders = [shared, shared, {"k": shared}, (shared, shared)]
        alias = shared
        solo = {"a": 1}
        def inner():
            local = shared
            refscope_record.mark("m")
            # Still inside the frame that held `local` at the marker: nothing changed since.
            return {"shared": [id(shared), sys.getrefcount(shared) - 1],
                    "solo": [id(solo), sys.getrefcount(solo) - 1]}
        print(json.dumps(inner()))
    """)
    assert r.returncode == 0, r.stderr
    facts = r.facts()
    st = trace_model.replay(r.trace, until="m")
    assert not st.anomalies, st.anomalies
    for name, (address, refcount) in facts.items():
        assert st.objs[address].rc == refcount, name
    # refscope itself must say the same: --sort retained lists every live object.
    report = refscope_json("sharing", str(r.trace), "--at", "m", "--limit", "0", "--sort", "retained")
    by_address = {int(o["address"], 16): o for o in report["objects"]}
    for name, (address, refcount) in facts.items():
        assert address in by_address, name
        assert by_address[address]["refcount"] == refcount, name


def reachable_from(st, addresses):
    """The objects the model reaches from `addresses` (themselves included)."""
    seen = {a for a in addresses if a in st.objs}
    stack = list(seen)
    while stack:
        for t in st.objs[stack.pop()].out:
            if t in st.objs and t not in seen:
                seen.add(t)
                stack.append(t)
    return seen


def test_cycles_at_a_marker_are_the_collectors_garbage(python, record):
    r = record(python, """
        import gc, json, refscope_record
        gc.disable()
        class Node:
            def __init__(self, name):
                self.name = name
                self.peer = None
        def make_cycles():
            a, b = Node("a"), Node("b")
            a.peer, b.peer = b, a
            ring = [[] for _ in range(5)]
            for i, item in enumerate(ring):
                item.append(ring[(i + 1) % 5])
            me = {}
            me["self"] = me
        make_cycles()
        kept = Node("kept"); kept.peer = kept          # a cycle that is still referenced: not garbage
        refscope_record.mark("m")
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage = sorted(id(o) for o in gc.garbage)
        print(json.dumps([garbage, sorted(id(o) for o in gc.get_objects())]))
    """)
    assert r.returncode == 0, r.stderr
    garbage, tracked = (set(ids) for ids in r.facts())
    assert len(garbage) >= 8  # 2 Nodes (3.11: their dicts are managed), 5 lists, 1 dict; imports add more
    st = trace_model.replay(r.trace, until="m")
    unreachable = st.unreachable()
    assert garbage <= unreachable
    # What else the model finds unreachable is what CPython's collector does not track (code objects on 3.13,
    # strs, untracked tuples and dicts...), held only by the garbage: garbage too, which gc.garbage cannot list.
    extra = unreachable - garbage
    assert not extra & tracked, sorted((hex(a), st.type_name(a)) for a in extra & tracked)
    assert extra <= reachable_from(st, garbage), sorted(
        (hex(a), st.type_name(a)) for a in extra - reachable_from(st, garbage))
    # refscope's cycles are made of that garbage, and every collected object is on one of them or hangs from one.
    report = refscope_json("cycles", str(r.trace), "--at", "m")
    in_cycles = {int(o["address"], 16) for cycle in report["cycles"] for o in cycle["objects"]}
    assert in_cycles <= unreachable, sorted(hex(a) for a in in_cycles - unreachable)
    off_cycles = garbage - reachable_from(st, in_cycles)
    assert not off_cycles, sorted((hex(a), st.type_name(a)) for a in off_cycles)


def _leaks(trace, start, end):
    report = refscope_json("leaks", str(trace), "--from", start, "--to", end, "--limit", "0")
    return {int(o["address"], 16): o for o in report["objects"]}, report


def test_py_incref_leak_in_a_window_is_unowned(python, record):
    r = record(python, """
        import ctypes, json, refscope_record
        refscope_record.mark("a")
        def leak():
            victim = ["leaked by a C extension"]
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(victim))
            return id(victim)
        address = leak()
        refscope_record.mark("b")
        print(json.dumps(address))
    """)
    assert r.returncode == 0, r.stderr
    address = r.facts()
    st = trace_model.replay(r.trace, until="b")
    assert st.objs[address].external() == 1 and st.objs[address].held == 0
    objects, _ = _leaks(r.trace, "a", "b")
    assert objects[address]["kind"] == "unowned"


def test_cache_older_than_the_window_retains(python, record):
    r = record(python, """
        import json, refscope_record
        class Payload:
            pass
        CACHE = {}
        refscope_record.mark("a")
        def fill():
            for key in range(3):
                CACHE[key] = Payload()
        fill()
        refscope_record.mark("b")
        print(json.dumps([id(v) for v in CACHE.values()]))
    """)
    assert r.returncode == 0, r.stderr
    objects, _ = _leaks(r.trace, "a", "b")
    for address in r.facts():
        assert objects[address]["kind"] == "retained"
        assert objects[address]["type"].endswith("Payload")


def test_a_million_temporaries_leave_nothing_in_their_window(python, record):
    r = record(python, """
        import refscope_record
        class Temp:
            pass
        def churn():
            total = 0
            for i in range(1_000_000):
                t = [i, Temp()]
                total += len(t)
            return total
        refscope_record.mark("a")
        churn()
        refscope_record.mark("b")
    """)
    assert r.returncode == 0, r.stderr
    objects, report = _leaks(r.trace, "a", "b")
    kinds = {o["type"] for o in objects.values()}
    assert not any(t.endswith("Temp") for t in kinds), kinds
    lists = [o for o in objects.values() if o["type"] == "builtins.list"]
    assert len(lists) == 0, lists[:5]
    assert report["totals"]["objects"] < 20, report["totals"]
