"""Ground truth for byte figures: an object's size with the memory it owns is what sys.getsizeof says, at every
checkpoint, and the live bytes refscope reports grow as tracemalloc's traced memory grows."""
import subprocess

import trace_model
from conftest import REFSCOPE, refscope_json

# Objects of every builtin type that owns memory, made to grow (and then shrink) between two markers. The
# program prints, for each, its id and sys.getsizeof at each marker.
CONTAINERS = """
    import array, collections, functools, io, json, sys, refscope_record

    class Plain:
        pass

    class Slotted:
        __slots__ = ("a", "b")

    class MyList(list):
        pass

    class MyDict(dict):
        pass

    plain = Plain()
    plain.x = 1
    objs = {
        "list": [], "dict": {}, "set": set(), "frozenset": frozenset(range(50)), "bytearray": bytearray(),
        "deque": collections.deque(), "array": array.array("d"), "bytesio": io.BytesIO(),
        "ordereddict": collections.OrderedDict(), "defaultdict": collections.defaultdict(list),
        "counter": collections.Counter(), "mylist": MyList(), "mydict": MyDict(), "tuple": tuple(range(30)),
        "str": "x" * 300, "bytes": b"y" * 300, "int": 10 ** 100, "plain": plain, "slotted": Slotted(),
        "keys_dict": dict.fromkeys(range(1000)),
    }

    def grow(n):
        for i in range(n):
            objs["list"].append(i)
            objs["dict"]["k%d" % i] = i
            objs["set"].add(i)
            objs["deque"].append(i)
            objs["array"].append(float(i))
            objs["ordereddict"][i] = i
            objs["defaultdict"][i].append(i)
            objs["counter"][i] += 1
            objs["mylist"].append(i)
            objs["mydict"][i] = i
        objs["bytearray"].extend(b"z" * (n * 37))
        objs["bytesio"].write(b"w" * (n * 11))

    def sizes():
        return {name: [id(o), sys.getsizeof(o)] for name, o in objs.items()}

    grow(700)
    refscope_record.mark("grown")
    at = {"grown": sizes()}
    for name in ("list", "set", "deque", "mylist", "ordereddict", "mydict"):
        objs[name].clear()
    del objs["bytearray"][10:]
    objs["dict"] = {"one": 1}
    refscope_record.mark("shrunk")
    at["shrunk"] = sizes()
    print(json.dumps(at))
"""


USER_CLASSES = {"plain", "slotted", "mylist", "mydict"}


def test_sizes_at_each_marker_equal_getsizeof(python, record):
    r = record(python, CONTAINERS)
    assert r.returncode == 0, r.stderr
    facts = r.facts()
    for marker in ("grown", "shrunk"):
        st = trace_model.replay(r.trace, until=marker)
        report = refscope_json("sharing", str(r.trace), "--at", marker, "--limit", "0", "--sort", "retained")
        by_address = {int(o["address"], 16): o for o in report["objects"]}
        for name, (address, size) in facts[marker].items():
            assert address in st.objs, (marker, name)
            assert not st.objs[address].unmeasured, (marker, name)
            assert address in by_address, (marker, name)
            assert by_address[address]["size"] == st.objs[address].size, (marker, name)
            if name in USER_CLASSES:
                # Never less than sys.getsizeof; on 3.13 an instance's block also holds its inline values, which
                # sys.getsizeof leaves out.
                assert st.objs[address].size >= size, (marker, name)
            else:
                assert (name, st.objs[address].size) == (name, size), marker
    # Figures that grew by more than what the objects' own blocks hold: the recorder did measure owned memory.
    assert facts["grown"]["bytearray"][1] > 25000
    assert facts["grown"]["list"][1] > facts["shrunk"]["list"][1]


def test_a_leaked_64_kib_bytearray_counts_its_buffer(python, record, tmp_path):
    r = record(python, """
        import refscope_record
        _errors = []
        def upload(n):
            buf = bytearray(65536)
            _errors.append((n, buf))
        refscope_record.mark("before")
        upload(1)
        refscope_record.mark("after")
    """)
    assert r.returncode == 0, r.stderr
    leaks = refscope_json("leaks", str(r.trace), "--from", "before", "--at", "after")
    groups = [g for g in leaks["groups"] if g["type"] == "builtins.bytearray"]
    assert groups, leaks["groups"]
    assert groups[0]["bytes"] >= 65536
    assert groups[0]["kind"] == "retained"
    # The gate counts the same bytes: under the limit passes, over it fails.
    gate = [REFSCOPE, "check", str(r.trace), "--from", "before", "--at", "after", "--fail-on", "retained"]
    assert subprocess.run(gate + ["--max-bytes", "70000"], capture_output=True).returncode == 0
    assert subprocess.run(gate + ["--max-bytes", "60000"], capture_output=True).returncode == 1


def test_live_bytes_grow_as_tracemalloc_sees(python, record):
    """Between two markers a program builds containers: refscope's live bytes grow by what tracemalloc's traced
    memory grows by (tracemalloc counts every block; refscope counts objects and what they own)."""
    r = record(python, """
        import json, tracemalloc, refscope_record
        tracemalloc.start()
        refscope_record.mark("a")
        before = tracemalloc.get_traced_memory()[0]
        kept = []
        for i in range(300):
            kept.append({"n%d" % j: j for j in range(100)})
            kept.append(list(range(500)))
            kept.append(bytearray(3000))
            kept.append({j * 1000003 for j in range(200)})
        after = tracemalloc.get_traced_memory()[0]
        refscope_record.mark("b")
        print(json.dumps({"traced": after - before}))
    """)
    assert r.returncode == 0, r.stderr
    traced = r.facts()["traced"]
    a = refscope_json("summary", str(r.trace), "--at", "a")["live"]["bytes"]
    b = refscope_json("summary", str(r.trace), "--at", "b")["live"]["bytes"]
    grown = b - a
    assert traced > 5_000_000
    assert abs(grown - traced) < 0.01 * traced, (grown, traced)
