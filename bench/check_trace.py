#!/usr/bin/python3
"""An independent, slow replay of a refscope trace (format 1, plain text), written from TRACE-FORMAT's model.

It exists to check refscope-gen-trace: an exact trace must replay with no anomalies, a trace with --anomalies N with
exactly the counts the generator's --stats printed, and the objects and references live at the end must be the
figures --stats printed. It is a cross-check of refscope's own replay too, on small traces (about 1M records a
second).

usage: check_trace.py TRACE [--json]
Prints record counts, anomalies by kind, live objects and owner references, roots and unreachable objects at the end.
"""
import collections
import json
import sys


class Obj:
    __slots__ = ("rc", "out", "inc", "held", "immortal")

    def __init__(self):
        self.rc = 1
        self.out = collections.Counter()  # target -> multiplicity
        self.inc = collections.Counter()  # owner -> multiplicity
        self.held = 0  # references held by live objects
        self.immortal = False

    def external(self):
        return max(0, self.rc - self.held)


def replay(path):
    objs = {}
    anomalies = collections.Counter()
    counts = collections.Counter()
    exact = True
    gc_open = False
    r_differs = 0  # R records whose count is not the model's: anomalies when exact, normal in a sampled trace

    def free(addr):
        o = objs.pop(addr)
        for t, m in o.out.items():
            if t in objs:
                to = objs[t]
                to.inc[addr] -= m
                if to.inc[addr] <= 0:
                    del to.inc[addr]
                to.held -= m
                if not to.immortal:
                    to.rc -= m
        for owner, m in o.inc.items():
            if owner in objs:
                oo = objs[owner]
                del oo.out[addr]

    def create(addr):
        o = Obj()
        objs[addr] = o
        return o

    with open(path, "rb") as f:
        header_seen = False
        for lineno, raw in enumerate(f, 1):
            line = raw.decode().rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split()
            if not header_seen:
                assert fields[:2] == ["refscope-trace", "1"], f"{path}:{lineno}: bad header"
                header_seen = True
                continue
            kind = fields[0]
            counts[kind] += 1
            if kind == "@":
                if fields[1:3] == ["refs", "sampled"]:
                    exact = False
                continue
            if kind in ("T", "S", "M"):
                continue
            if kind == "G":
                assert not gc_open, f"{path}:{lineno}: G inside G"
                gc_open = True
                continue
            if kind == "g":
                assert gc_open, f"{path}:{lineno}: g without G"
                gc_open = False
                continue
            addr = int(fields[1], 16)
            if kind == "A":
                if addr in objs:
                    anomalies["address-reused"] += 1
                    free(addr)
                create(addr)
            elif kind == "I" or kind == "D":
                owner = int(fields[2], 16) if len(fields) > 2 else None
                o = objs.get(addr)
                if o is None:
                    if kind == "D":
                        anomalies["unknown-object"] += 1
                        continue
                    anomalies["unknown-object"] += 1
                    o = create(addr)
                    o.rc = 0
                    if owner is not None and owner in objs:
                        o.rc += 1
                        o.held += 1
                        o.inc[owner] += 1
                        objs[owner].out[addr] += 1
                    else:
                        o.rc += 1
                    continue
                if o.immortal:
                    continue
                if owner is not None and owner not in objs:
                    anomalies["unknown-owner"] += 1
                    owner = None
                    if kind == "I":
                        o.rc += 1
                    elif o.external() > 0:
                        o.rc -= 1
                    continue
                if kind == "I":
                    o.rc += 1
                    if owner is not None:
                        o.held += 1
                        o.inc[owner] += 1
                        objs[owner].out[addr] += 1
                    continue
                if owner is not None:
                    if o.inc[owner] <= 0:
                        anomalies["owner-mismatch"] += 1
                        if o.external() > 0:
                            o.rc -= 1
                        continue
                    o.inc[owner] -= 1
                    if o.inc[owner] == 0:
                        del o.inc[owner]
                    oo = objs[owner]
                    oo.out[addr] -= 1
                    if oo.out[addr] == 0:
                        del oo.out[addr]
                    o.held -= 1
                    o.rc -= 1
                else:
                    if o.external() == 0:
                        anomalies["refcount-underflow"] += 1
                    else:
                        o.rc -= 1
            elif kind == "F":
                o = objs.get(addr)
                if o is None:
                    anomalies["unknown-object"] += 1
                    continue
                if exact and o.rc > 0 and not o.immortal:
                    anomalies["freed-while-referenced"] += 1
                free(addr)
            elif kind == "R":
                o = objs.get(addr)
                if o is None:
                    anomalies["unknown-object"] += 1
                    o = create(addr)
                    if fields[2] == "immortal":
                        o.immortal = True
                    else:
                        o.rc = int(fields[2])
                    continue
                if fields[2] == "immortal":
                    o.immortal = True
                    continue
                count = int(fields[2])
                o.immortal = False
                if count != o.rc:
                    r_differs += 1
                if count < o.held:
                    anomalies["external-negative"] += 1
                    o.rc = o.held
                elif exact and count != o.rc:
                    anomalies["refcount-mismatch"] += 1
                    o.rc = count
                else:
                    o.rc = count
            else:
                raise SystemExit(f"{path}:{lineno}: unknown record {kind}")

    # Roots and reachability at the end.
    roots = [a for a, o in objs.items() if o.immortal or o.external() > 0]
    seen = set(roots)
    stack = list(roots)
    while stack:
        a = stack.pop()
        for t in objs[a].out:
            if t in objs and t not in seen:
                seen.add(t)
                stack.append(t)
    return {
        "records": dict(counts),
        "anomalies": dict(anomalies),
        "anomalies_total": sum(anomalies.values()),
        "live": len(objs),
        "owner_refs": sum(sum(o.out.values()) for o in objs.values()),
        "roots": len(roots),
        "unreachable": len(objs) - len(seen),
        "r_differs": r_differs,
        "refcount_zero": sum(1 for o in objs.values() if o.rc == 0 and not o.immortal),
    }


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        raise SystemExit(__doc__)
    result = replay(args[0])
    if "--json" in sys.argv:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
