"""Ground truth for labels: every reference the trace labels at a marker is what CPython says it is. For chosen
objects, gc.get_referrers gives the objects holding them; each referrer's own attributes, keys, indexes, locals
and links say what the reference is. The trace must hold that reference with that label."""
import trace_model

PROGRAM = """
    import gc, json, sys, refscope_record

    class Upload:
        def __init__(self, n):
            self.buf = bytearray(n)
            self.name = "upload"

    class Slotted:
        __slots__ = ("payload", "other")

    _errors = []
    registry = {"alpha": [1, 2], 42: ["int key"], ("t", 1): ["tuple key"], "k" * 100: ["long key"]}

    def make_closure():
        captured = {"c": 1}
        def inner():
            return captured
        return inner

    def fail(buf):
        raise ValueError("upload failed")

    def handle(n):
        try:
            fail(bytearray(n))
        except ValueError:
            _errors.append(sys.exc_info())

    closure = make_closure()
    handle(64)
    upload = Upload(32)
    slotted = Slotted()
    slotted.payload = ["in a slot"]
    holder = [upload, slotted, upload]

    def label(referrer, target):
        '''What CPython says the reference referrer -> target is, as refscope labels it (None: not known here).'''
        if isinstance(referrer, dict):
            for key, value in referrer.items():
                if value is target:
                    if isinstance(key, str):
                        text = key if len(key) <= 60 else key[:60] + "..."
                        return "['%s']" % text
                    if isinstance(key, int):
                        return "[%d]" % key
                    return "[<%s>]" % type(key).__name__
            return None
        if isinstance(referrer, (list, tuple)):
            for i, item in enumerate(referrer):
                if item is target:
                    return "[%d]" % i
            return None
        if type(referrer).__name__ == "cell":
            return ".cell_contents" if referrer.cell_contents is target else None
        if type(referrer).__name__ == "function":
            for attr in ("__closure__", "__defaults__", "__code__", "__globals__", "__dict__"):
                if getattr(referrer, attr, None) is target:
                    return "." + attr
            return None
        if type(referrer).__name__ == "traceback":
            if referrer.tb_frame is target:
                return ".tb_frame"
            if referrer.tb_next is target:
                return ".tb_next"
            return None
        if type(referrer).__name__ == "frame":
            for name, value in referrer.f_locals.items():
                if value is target:
                    return ".f_locals['%s']" % name
            return ".f_back" if referrer.f_back is target else None
        if type(referrer).__name__ == "module":
            return ".__dict__" if vars(referrer) is target else None
        if isinstance(referrer, (Upload, Slotted)):
            for attr in ("buf", "name", "payload", "other"):
                if getattr(referrer, attr, None) is target:
                    return "." + attr
        return None

    error = _errors[0]
    tb = error[2]
    targets = {
        "registry['alpha']": registry["alpha"], "registry[42]": registry[42],
        "registry[tuple]": registry[("t", 1)], "registry[long]": registry["k" * 100],
        "_errors": _errors, "error tuple": error, "traceback": tb, "exception": error[1],
        "handle frame": tb.tb_frame, "next traceback": tb.tb_next, "fail frame": tb.tb_next.tb_frame,
        "fail's buf": tb.tb_next.tb_frame.f_locals["buf"],
        "cell": closure.__closure__[0], "closure tuple": closure.__closure__,
        "captured": closure.__closure__[0].cell_contents,
        "upload": upload, "upload.buf": upload.buf, "slotted.payload": slotted.payload,
        "module globals": sys.modules[__name__].__dict__,
    }
    # What CPython says, taken before the marker; the referrers are kept alive until it.
    skip = {id(targets), id(sys._getframe())}
    facts = {}
    keep = []
    for name in list(targets):
        refs = []
        for referrer in gc.get_referrers(targets[name]):
            if id(referrer) in skip:
                continue
            text = label(referrer, targets[name])
            if text is not None:
                refs.append([id(referrer), type(referrer).__name__, text])
                keep.append(referrer)
        facts[name] = [id(targets[name]), refs]
    referrer = None
    names = {"module": [id(sys.modules[__name__]), "module __main__"],
             "class": [id(Upload), "class __main__.Upload"],
             "function": [id(make_closure), "function __main__.make_closure"],
             "code": [id(fail.__code__), "code fail"]}
    refscope_record.mark("m")
    print(json.dumps({"labels": facts, "names": names}))
"""


def test_labels_agree_with_get_referrers(python, record):
    r = record(python, PROGRAM)
    assert r.returncode == 0, r.stderr
    facts = r.facts()
    st = trace_model.replay(r.trace, until="m")
    checked = 0
    for name, (target, refs) in facts["labels"].items():
        assert target in st.objs, name
        for referrer, kind, text in refs:
            assert referrer in st.objs, (name, kind)
            assert (name, kind, st.label(referrer, target)) == (name, kind, text)
            checked += 1
    # Every kind of reference was seen and checked at least once.
    kinds = {kind for _, refs in facts["labels"].values() for _, kind, _ in refs}
    assert {"dict", "list", "tuple", "cell", "function", "traceback", "frame", "module", "Upload",
            "Slotted"} <= kinds, kinds
    assert checked >= 20
    for what, (address, text) in facts["names"].items():
        assert st.objs[address].name == text, what


def test_labels_are_written_only_for_the_references_that_use_them(python, record):
    # A long list that gains one item between two checkpoints: the second checkpoint writes one new `I` from the
    # list, and the labels of its other 20,000 items (known from the first checkpoint) are not interned again.
    # Every `L` text is used by some record, once; a list's index and a dict's int key share "[N]".
    r = record(python, """
        import refscope_record
        items = [object() for _ in range(20000)]
        by_number = {7: bytearray(3)}
        refscope_record.mark("first")
        items.append(bytearray(5))
        refscope_record.mark("second")
    """)
    assert r.returncode == 0, r.stderr
    defined, used, texts = {}, set(), set()
    in_second = []  # texts first written by the second checkpoint (its records precede its `M second`)
    last_mark = None
    # The recorder writes binary: its text form, line for line.
    for line in trace_model.text_lines(r.trace):
        fields = line.rstrip("\n").split(" ")
        kind = fields[0]
        if kind == "L":
            assert fields[1] not in defined
            text = line.rstrip("\n").split(" ", 2)[2]
            assert text not in texts, text
            defined[fields[1]] = text
            texts.add(text)
            if last_mark == "first":
                in_second.append(text)
        elif kind in ("I", "P") and len(fields) == 4:
            used.add(fields[3])
        elif kind == "K":
            used.add(fields[2])
        elif kind == "M":
            last_mark = line.rstrip("\n").split(" ", 1)[1]
    assert set(defined) - used == set(), [defined[i] for i in set(defined) - used][:10]
    assert "[20000]" in in_second
    assert len(in_second) < 100, in_second[:20]
    assert "[7]" in texts and "[19999]" in texts
