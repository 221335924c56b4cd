"""Ground truth for the checkpoint's walk: every reference CPython counts is found, each once, held by an object or
by a named root that says who it is; only references nobody accounts for are left unowned.

CPython's own answers: sys.getrefcount for counts, gc.get_referrers for who holds a collector object,
objgraph.get_leaking_objects() for the collector objects that no other collector object holds."""
import json
import subprocess
import textwrap

import pytest

import trace_model
from conftest import REFSCOPE, refscope_json


def run_check(trace, *args):
    proc = subprocess.run([REFSCOPE, "check", str(trace), *args, "--format", "json"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


LEAK_FREE = """
    import asyncio, collections, dataclasses, email.parser, json, sys
    CACHE = {}
    def fill():
        for i in range(200):
            CACHE["a cache key longer than thirty-one characters %d" % i] = [i, {"name": "n%d" % i}]
    def compiled():
        total = 0
        for i in range(20):
            total += eval("sum(range(%d))" % i)
            scope = {}
            exec("def f(a, b=%d):\\n    return a + b\\n" % i, scope)
            total += scope["f"](1)
        Point = collections.namedtuple("Point", "x y")
        Item = dataclasses.make_dataclass("Item", [("name", str)])
        return total + sum(Point(1, 2)) + len(Item("a").name)
    async def work(n):
        await asyncio.sleep(0)
        return n * 2
    async def gather():
        return sum(await asyncio.gather(*(work(i) for i in range(10))))
    fill()
    compiled()
    asyncio.run(gather())
    json.loads(json.dumps(CACHE))
    email.parser.Parser().parsestr("From: a@b.c\\nSubject: hi\\n\\nbody\\n")
    sys.exit(0)    # the interpreter exits from inside the script: Modules/main.c still holds its file name
"""


def test_a_leak_free_program_passes_the_default_gate_with_nothing_unowned(python, record):
    r = record(python, LEAK_FREE)
    assert r.returncode == 0, r.stderr
    status, report = run_check(r.trace)
    unowned = [g for g in report["groups"] if g["kind"] == "unowned"]
    assert unowned == [], unowned[:5]
    assert status == 0, report["reason"]
    summary = refscope_json("summary", str(r.trace))
    assert summary["anomalies"]["total"] == 0, summary["anomalies"]["first"][:5]
    assert summary["trace"]["version"] == 2


def test_counts_at_a_marker_are_all_explained_and_equal_getrefcount(python, record):
    # Objects of many kinds, each held in known ways; at the marker every one's refcount is what CPython says,
    # and every reference is held by an object or a named root.
    r = record(python, """
        import json, sys, refscope_record
        class Slotted:
            __slots__ = ("a", "b")
        class Plain:
            def method(self):
                return 1
        def function(x, *, key="a default"):
            return {"local key of a dict": x}
        s = Slotted(); s.a = "slot value"; s.b = [1, 2]
        p = Plain(); p.attr = {"k": (1, "t")}
        DATA = {"list": [1, "two", (3,)], "dict": {"str key": "v", 7: "int key"}, "nested": {"a": {"b": {}}},
                "tuple": ("a", "b", ("c",)), "set": {1, 2}, "frozen": frozenset({"x"}), "bytes": b"payload",
                "slotted": s, "plain": p, "bound": p.method, "function": function, "code": function.__code__,
                "cell": (lambda: DATA).__closure__, "type": Plain, "module": json, "long": "x" * 100}
        def probe():
            objects = list(DATA.values()) + [DATA, DATA["list"], DATA["dict"], DATA["nested"]["a"], s.b, p.attr,
                                             function.__code__.co_consts, Plain.__dict__["method"]]
            # Less the call's argument, the loop's variable and the list's own references (some are in it twice).
            facts = [[id(o), sys.getrefcount(o) - 2 - sum(x is o for x in objects)] for o in objects]
            del objects
            refscope_record.mark("m")
            return facts
        print(json.dumps(probe()))
    """)
    assert r.returncode == 0, r.stderr
    st = trace_model.replay(r.trace, until="m")
    assert not st.anomalies, st.anomalies
    for address, refcount in r.facts():
        o = st.objs[address]
        if o.immortal:
            continue
        # `facts` (a list local to probe) no longer holds them at the marker: the counts taken before stand.
        assert o.rc == refcount, (hex(address), st.type_name(address), o.rc, refcount)
        assert o.external() == 0, (hex(address), st.type_name(address), o.rc, o.held)


def test_who_holds_a_collector_object_is_what_gc_get_referrers_says(python, record):
    r = record(python, """
        import gc, json, refscope_record
        class Node:
            pass
        TARGET = ["target"]
        holders = [[TARGET], {"k": TARGET}, (TARGET, 1), Node()]
        holders[3].ref = TARGET
        refscope_record.mark("m")
        # CPython's answer: every collector object that refers to TARGET (the module dict too).
        print(json.dumps([id(TARGET), sorted(id(o) for o in gc.get_referrers(TARGET))]))
    """)
    assert r.returncode == 0, r.stderr
    target, referrers = r.facts()
    st = trace_model.replay(r.trace, until="m")
    owners = {a for a, o in st.objs.items() if o.out.get(target, 0) > 0}
    # 3.11 and 3.12 keep a Node's attributes in values the instance owns (no dict object): the Node holds it.
    assert set(referrers) <= owners | {a for a in referrers if st.type_name(a).endswith("Node")}, \
        (sorted(map(hex, set(referrers) - owners)), sorted(map(hex, owners)))
    assert st.objs[target].external() == 0


def test_objgraph_leaking_objects_are_all_held_by_a_named_root_or_a_non_collector_object(python, record):
    objgraph = subprocess.run([python, "-c", "import objgraph"], capture_output=True)
    if objgraph.returncode != 0:
        pytest.skip("objgraph is not installed for this interpreter (Debian's python3-objgraph is for 3.11)")
    r = record(python, """
        import json, objgraph, email.parser, refscope_record
        leaking = [id(o) for o in objgraph.get_leaking_objects()]
        refscope_record.mark("m")
        print(json.dumps(leaking))
    """)
    assert r.returncode == 0, r.stderr
    st = trace_model.replay(r.trace, until="m")
    unexplained = []
    for address in r.facts():
        o = st.objs.get(address)
        if o is None or o.immortal:
            continue  # made by objgraph's own walk and gone, or immortal
        if o.external() > 0:
            unexplained.append((hex(address), st.type_name(address), o.rc, o.held))
    assert unexplained == [], unexplained[:10]


def test_locals_and_value_stacks_of_running_frames_are_held_by_frame_roots(python, record):
    # `run` calls sorted(), C code, which calls key(): run's value stack holds the tuple's first item while the
    # marker is taken, and CPython saved no stack pointer for it. The bytecode says how deep the stack is.
    r = record(python, """
        import ctypes, json, sys, refscope_record
        IDS = []
        def item():
            x = ["on the value stack"]
            IDS.append(id(x))
            return x
        def key(v):
            if v == 1:
                local = ["a local"]
                IDS.append(id(local))
                obj = ctypes.cast(IDS[0], ctypes.py_object).value
                counts = [sys.getrefcount(obj) - 2, sys.getrefcount(local) - 1]
                del obj
                refscope_record.mark("m")
                print(json.dumps([IDS[0], IDS[1], counts]))
            return v
        def run():
            return (item(), sorted([3, 1, 2], key=key))
        run()
    """)
    assert r.returncode == 0, r.stderr
    on_stack, local, (stack_count, local_count) = r.facts()
    st = trace_model.replay(r.trace, until="m")
    assert not st.anomalies, st.anomalies
    assert st.objs[on_stack].rc == stack_count == 1
    assert st.objs[on_stack].external() == 0
    assert [h.split(" at ")[0] for h in st.holders(on_stack)] == ["frame run"], st.holders(on_stack)
    assert st.objs[local].rc == local_count == 1
    assert [h.split(" at ")[0] for h in st.holders(local)] == ["frame key"], st.holders(local)


FRAME_LABELS = """
    import json, sys, refscope_record
    GEN = []
    def pending_work(request):
        pending = [request, "pending"]
        refscope_record.mark("m")
        here = sys._getframe()
        answers = [{n: id(v) for n, v in f.f_locals.items()} for f in (here, here.f_back)]
        print(json.dumps([GEN[0]] + answers))
        yield pending
    def handler(request):
        buf = bytearray(65536)
        parts = [request, "x"]
        alias = parts
        g = pending_work(request)
        GEN.append(id(g))
        next(g)
    handler({"path": "/upload"})
"""


def test_references_of_running_frames_are_labelled_with_their_variables_names(python, record):
    # A frame's local variables are named roots' references (a running generator's: the generator's): each `P`
    # (or `I`) is labelled ".f_locals['NAME']", NAME being a variable that holds that object in CPython's own
    # f_locals of the frame at the marker.
    r = record(python, FRAME_LABELS)
    assert r.returncode == 0, r.stderr
    gen, in_generator, in_handler = r.facts()
    st = trace_model.replay(r.trace, until="m")
    assert not st.anomalies, st.anomalies

    def names(answer, addr):
        return {".f_locals['%s']" % n for n, a in answer.items() if a == addr}

    frame = [root for root, name in st.roots.items() if name.startswith("frame handler at ")]
    assert len(frame) == 1, st.roots
    checked = 0
    for variable in ("request", "buf", "parts", "alias", "g"):
        addr = in_handler[variable]
        if addr not in st.root_refs[frame[0]]:
            continue  # an object older than the recording that the trace never saw (none of these is)
        label = st.root_labels.get((frame[0], addr), (None,))[0]
        assert label in names(in_handler, addr), (variable, label)
        checked += 1
    assert checked == 5, checked
    assert st.label(gen, in_generator["pending"]) == ".f_locals['pending']"
    assert st.label(gen, in_generator["request"]) == ".f_locals['request']"
    # refscope's report says it: the step from the frame to the buffer carries the variable's name.
    report = refscope_json("why", str(r.trace), hex(in_handler["buf"]), "--at", "m")
    holds = [h for path in report["paths"] for step in path for h in step.get("named_roots", [])]
    assert any(h["name"].startswith("frame handler at ") and h.get("via") == ".f_locals['buf']" for h in holds), report
    text = subprocess.run([REFSCOPE, "why", str(r.trace), hex(in_handler["buf"]), "--at", "m"], capture_output=True,
                          text=True, timeout=300).stdout
    assert any("held by frame handler at " in line and line.endswith(".f_locals['buf'])") for line in text.splitlines()), text


def test_named_roots_name_the_interpreter_holders(python, record):
    r = record(python, """
        import gc, json, sys, refscope_record
        refscope_record.mark("m")
        int_dict = gc.get_referents(int.__dict__)[0]    # the dict behind the mappingproxy
        print(json.dumps({"modules": id(sys.modules), "builtins": id(__builtins__.__dict__),
                          "int dict": id(int_dict)}))
    """)
    assert r.returncode == 0, r.stderr
    facts = r.facts()
    st = trace_model.replay(r.trace, until="m")
    assert "sys.modules" in st.holders(facts["modules"])
    assert "builtins.__dict__" in st.holders(facts["builtins"])
    assert st.holders(facts["int dict"]) == ["static type builtins.int"]
    assert st.meta  # a version-2 trace still has its metadata


FORGOTTEN_INCREFS = """
    import ctypes, json, refscope_record
    def leak(obj):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
        return id(obj)
    refscope_record.mark("a")
    made = {}
    made["list"] = leak([1, 2, 3])
    made["dict"] = leak({"key": "value"})
    made["short str"] = leak("s%d" % len(made))
    made["long str"] = leak("a str that is longer than thirty-one characters " + str(len(made)))
    refscope_record.mark("b")
    print(json.dumps(made))
"""


def test_forgotten_increfs_are_unowned(python, record):
    # What a C refcount bug leaves behind: a reference nobody holds. Each made in the window must be `unowned`,
    # and nothing else may be.
    r = record(python, FORGOTTEN_INCREFS)
    assert r.returncode == 0, r.stderr
    made = r.facts()
    report = refscope_json("leaks", str(r.trace), "--from", "a", "--to", "b", "--limit", "0")
    by_address = {int(o["address"], 16): o for o in report["objects"]}
    assert {name: by_address[address]["kind"] for name, address in made.items()} == {name: "unowned" for name in made}
    unowned = {a for a, o in by_address.items() if o["kind"] == "unowned"}
    assert unowned == set(made.values()), sorted(map(hex, unowned - set(made.values())))


def test_forgotten_increfs_are_reported_at_the_line_that_made_the_object(python, record):
    # The list and the dict would come off CPython's freelists on 3.11 and 3.12: the recorder keeps those empty, so
    # each passes the allocator, at its own line.
    r = record(python, FORGOTTEN_INCREFS)
    assert r.returncode == 0, r.stderr
    made = r.facts()
    lines = textwrap.dedent(FORGOTTEN_INCREFS).splitlines()  # prog.py
    report = refscope_json("leaks", str(r.trace), "--from", "a", "--to", "b", "--limit", "0")
    by_address = {int(o["address"], 16): o for o in report["objects"]}
    wrong = {}
    for name, address in made.items():
        line = 1 + next(i for i, text in enumerate(lines) if 'made["%s"] =' % name in text)
        site = by_address[address]["site"]
        if not (site or "").endswith("/prog.py:%d in <module>" % line):
            wrong[name] = (site, line)
    assert wrong == {}, wrong


def test_names_the_type_cache_holds_are_held_by_its_root(python, record):
    # _PyType_Lookup keeps a reference to every attribute name it caches (str of up to 100 characters), found or
    # not: a name made at run time and looked up once is held by the type cache alone.
    r = record(python, """
        import json, sys, refscope_record
        class C:
            pass
        name = "attribute_%d" % len(sys.argv)
        hasattr(C(), name)
        before = sys.getrefcount(name) - 1   # less the call's argument: the variable and the cache
        refscope_record.mark("m")
        print(json.dumps([id(name), before]))
    """)
    assert r.returncode == 0, r.stderr
    address, refcount = r.facts()
    st = trace_model.replay(r.trace, until="m")
    o = st.objs[address]
    assert o.rc == refcount == 2
    assert o.external() == 0, st.holders(address)
    assert "the interpreter's type method cache" in st.holders(address)


def test_what_c_callers_hold_is_named_at_marks_taken_inside_them(python, record, tmp_path):
    # Marks taken in code that C code called and still holds references for: a module being imported (the import
    # system holds its name and importlib's function), code run by exec (PyEval_EvalCode's function; 3.12+'s
    # exec holds its locals), a function called with ** arguments (the keyword tuple and every argument), and the
    # main script itself (Modules/main.c: the file name, __main__, the code, the parser's arena).
    (tmp_path / "imported_module.py").write_text("import refscope_record\nrefscope_record.mark('import')\n")
    r = record(python, """
        import sys, refscope_record
        sys.path.insert(0, ".")
        def inner(a, b, *, key, **extra):
            refscope_record.mark("kwargs")
        def wrapper(*args, **kwargs):
            return inner(*args, **kwargs)
        wrapper(["positional"], "b", key={"k": 1}, other=("x",))
        exec("refscope_record.mark('exec')", {"refscope_record": refscope_record})
        import imported_module
        refscope_record.mark("main")
    """)
    assert r.returncode == 0, r.stderr
    for marker in ("kwargs", "exec", "import", "main"):
        report = refscope_json("leaks", str(r.trace), "--at", marker, "--limit", "0")
        unowned = [(o["type"], o["site"]) for o in report["objects"] if o["kind"] == "unowned"]
        assert unowned == [], (marker, unowned)
        assert report["anomalies"] == 0, marker
