"""An independent replay of a sampled refscope trace, as TRACE-FORMAT.md defines the model, small enough to
read in one sitting. The tests use it to check the recorder without depending on refscope's own replay: the
refcount and the reachability of each object at a marker.
"""
import collections
import gzip
import os
import subprocess

# The recorder writes the binary encoding by default: this model reads text, so a binary trace is read through
# `refscope convert` (whose equivalence to the text form tests/cli/test_binary_trace.py and the fuzzer check).
BINARY_MAGIC = b"\x89RSB"
REFSCOPE = os.path.join(os.environ.get("REFSCOPE_BUILD_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                          "..", "..", "build-rec")), "refscope")


def text_lines(path):
    """The trace's lines as text, whatever its encoding (plain, gzip, zstd; text or binary). A binary trace cut
    inside a record gives a last line without a line end, as a cut text trace does."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        # A stream cut mid-frame (a killed program) still gives what it decompressed, as refscope reads it.
        data = subprocess.run(["zstd", "-dc", str(path)], capture_output=True).stdout
    if data[:4] == BINARY_MAGIC:
        proc = subprocess.run([REFSCOPE, "convert", "-"], input=data, capture_output=True)
        assert proc.returncode == 0, proc.stderr.decode()
        data = proc.stdout
        if b"ends inside this record" in proc.stderr:
            data += b"# cut"
    return data.decode().splitlines(keepends=True)


class Obj:
    __slots__ = ("type", "rc", "out", "held", "immortal", "line", "size", "unmeasured", "labels", "name")

    def __init__(self, type_id, line, size=0):
        self.type = type_id
        self.size = size          # A's SIZE, then each Z's (format 2)
        self.unmeasured = False   # a `Z ... ?`
        self.labels = {}          # target address -> (label text, the target's Obj), from I's LABEL field
        self.name = None          # K (format 2)
        self.rc = 1
        self.out = collections.Counter()
        self.held = 0
        self.immortal = False
        self.line = line

    def external(self):
        return max(0, self.rc - self.held)


class State:
    def __init__(self):
        self.objs = {}
        self.types = {0: "?"}
        self.roots = {}        # named root id -> name (format 2)
        self.root_refs = {}    # named root id -> Counter of addresses it holds
        self.labels = {0: None}  # label id -> text (format 2's L)
        self.root_labels = {}  # (root id, address) -> (label text, the target's Obj)
        self.markers = []
        self.anomalies = collections.Counter()
        self.meta = {}
        self.gc_open = 0
        self.end = None          # format 2's E record: (reason, detail), None when the trace has none
        self.truncated = False   # a last line without a line end (ignored, as refscope does)

    def type_name(self, addr):
        return self.types.get(self.objs[addr].type, "?")

    def root_objects(self):
        """Objects that are roots: immortal, with external references, or held by a named root."""
        held = {a for refs in self.root_refs.values() for a, n in refs.items() if n > 0 and a in self.objs}
        return [a for a, o in self.objs.items() if o.immortal or o.external() > 0 or a in held]

    def holders(self, addr):
        """Names of the named roots holding addr."""
        return sorted(self.roots[r] for r, refs in self.root_refs.items() if refs.get(addr, 0) > 0)

    def label(self, owner, addr):
        """The label of the reference owner -> addr (None when the trace gave none)."""
        o, t = self.objs.get(owner), self.objs.get(addr)
        if o is None or t is None or addr not in o.labels:
            return None
        text, target = o.labels[addr]
        return text if target is t else None

    def reachable(self):
        seen = set(self.root_objects())
        stack = list(seen)
        while stack:
            o = self.objs[stack.pop()]
            for t in o.out:
                if t in self.objs and t not in seen:
                    seen.add(t)
                    stack.append(t)
        return seen

    def unreachable(self):
        return set(self.objs) - self.reachable()


def _free(st, addr):
    o = st.objs.pop(addr)
    for refs in st.root_refs.values():
        refs.pop(addr, None)
    for t, m in o.out.items():
        if t in st.objs:
            to = st.objs[t]
            to.held -= m
            if not to.immortal:
                to.rc = max(0, to.rc - m)


def _ref(st, kind, addr, owner):
    o = st.objs.get(addr)
    if o is None:
        st.anomalies["unknown-object"] += 1
        return
    if owner is not None and owner not in st.objs:
        st.anomalies["unknown-owner"] += 1
        owner = None
    if kind == "I":
        if owner is not None:
            st.objs[owner].out[addr] += 1
            o.held += 1
        if not o.immortal:
            o.rc += 1
    else:
        if owner is not None:
            ow = st.objs[owner]
            if ow.out[addr] <= 0:
                st.anomalies["owner-mismatch"] += 1
                return
            ow.out[addr] -= 1
            if ow.out[addr] == 0:
                del ow.out[addr]
            o.held -= 1
        if not o.immortal:
            o.rc = max(0, o.rc - 1)


def replay(path, until=None, occurrence=1):
    """Replays up to (and including) the occurrence-th marker `until`, or the whole trace."""
    return _replay_lines(State(), text_lines(path), until, occurrence)


def _replay_lines(st, lines, until, occurrence):
    seen_marker = 0
    for lineno, line in enumerate(lines, 1):
        if not line.endswith("\n"):
            st.truncated = True
            break
        line = line.rstrip("\n")
        if not line or line.startswith("#") or line.startswith("refscope-trace"):
            continue
        kind, _, rest = line.partition(" ")
        f = rest.split()
        if kind == "@":
            key, _, value = rest.partition(" ")
            st.meta[key] = value
        elif kind == "T":
            st.types[int(f[0])] = rest.split(" ", 1)[1]
        elif kind == "A":
            addr = int(f[0], 16)
            if addr in st.objs:
                st.anomalies["address-reused"] += 1
                _free(st, addr)
            st.objs[addr] = Obj(int(f[2]), lineno, int(f[1]))
        elif kind == "Z":
            o = st.objs.get(int(f[0], 16))
            if o is None:
                st.anomalies["unknown-object"] += 1
                continue
            o.size = int(f[1])
            o.unmeasured = len(f) > 2 and f[2] == "?"
        elif kind == "N":
            root, _, name = rest.partition(" ")
            st.roots[int(root)] = name.strip()
            st.root_refs.setdefault(int(root), collections.Counter())
        elif kind in ("P", "U"):
            addr, root = int(f[0], 16), int(f[1])
            o = st.objs.get(addr)
            if o is None:
                st.anomalies["unknown-object"] += 1
                continue
            if o.immortal:
                continue
            refs = st.root_refs[root]
            if kind == "P":
                if len(f) > 2 and st.labels[int(f[2])]:
                    st.root_labels[(root, addr)] = (st.labels[int(f[2])], o)
                refs[addr] += 1
                o.held += 1
                o.rc += 1
            elif refs[addr] > 0:
                refs[addr] -= 1
                o.held -= 1
                o.rc = max(0, o.rc - 1)
            else:
                st.anomalies["owner-mismatch"] += 1
                if o.external() > 0:
                    o.rc -= 1
        elif kind in ("I", "D"):
            addr, owner = int(f[0], 16), int(f[1], 16) if len(f) > 1 else None
            _ref(st, kind, addr, owner)
            if kind == "I" and len(f) > 2 and owner in st.objs and addr in st.objs and st.labels[int(f[2])]:
                st.objs[owner].labels[addr] = (st.labels[int(f[2])], st.objs[addr])
        elif kind == "L":
            ident, _, text = rest.partition(" ")
            st.labels[int(ident)] = text.strip()
        elif kind == "K":
            o = st.objs.get(int(f[0], 16))
            if o is None:
                st.anomalies["unknown-object"] += 1
            else:
                o.name = st.labels[int(f[1])]
        elif kind == "F":
            addr = int(f[0], 16)
            if addr not in st.objs:
                st.anomalies["unknown-object"] += 1
            else:
                _free(st, addr)
        elif kind == "R":
            addr = int(f[0], 16)
            o = st.objs.get(addr)
            if o is None:
                st.anomalies["unknown-object"] += 1
                continue
            if f[1] == "immortal":
                o.immortal = True
            else:
                o.immortal = False
                rc = int(f[1])
                if rc < o.held:
                    st.anomalies["external-negative"] += 1
                    rc = o.held
                o.rc = rc
        elif kind == "M":
            st.markers.append(rest)
            if rest == until:
                seen_marker += 1
                if seen_marker == occurrence:
                    return st
        elif kind == "G":
            if st.gc_open:
                st.anomalies["gc-nested"] += 1
            st.gc_open = 1
        elif kind == "E":
            reason, _, detail = rest.partition(" ")
            st.end = (reason, detail)
        elif kind == "g":
            if not st.gc_open:
                st.anomalies["gc-unopened"] += 1
            st.gc_open = 0
    if until is not None:
        raise AssertionError("marker %r not found in the trace" % until)
    return st
