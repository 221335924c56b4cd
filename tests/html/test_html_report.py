"""The HTML report, rendered for real: `refscope report` writes the page, headless Chromium (Debian's `chromium`)
loads it, runs its script and dumps the DOM, and the DOM must show what the JSON reports say: the leak groups with
their counts and bytes (`leaks --format json`), the kinds' totals, one picture per garbage cycle with its objects
and references (`cycles --format json`), the chart's samples and markers, the dominator tree's top objects.

Lean on purpose (each page load starts a browser, about 2 s): one load per page, every check made on that load."""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest

ROOT = pathlib.Path(os.environ.get("REFSCOPE_ROOT", pathlib.Path(__file__).resolve().parents[2]))
BINARY = os.environ.get("REFSCOPE", str(ROOT / "build" / "refscope"))
SAMPLES = ROOT / "sample-traces"
CHROMIUM = shutil.which("chromium")
# Flags that keep a headless Chromium off the network (it would wait on it here) and out of the user's profile.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--mute-audio"]

pytestmark = pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true",
                                reason="chromium is not installed (tools/bootstrap installs it)")


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ""

    def find_all(self, pred):
        out = []
        stack = list(reversed(self.children))
        while stack:
            n = stack.pop()
            if pred(n):
                out.append(n)
            stack.extend(reversed(n.children))
        return out

    def by_tag(self, tag, cls=None):
        return self.find_all(lambda n: n.tag == tag and (cls is None or cls in n.attrs.get("class", "").split()))

    def by_id(self, ident):
        found = self.find_all(lambda n: n.attrs.get("id") == ident)
        assert found, f"no element with id {ident!r} in the rendered page"
        return found[0]

    def all_text(self):
        return self.text + "".join(c.all_text() for c in self.children)


class Dom(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [], None)
        self.at = self.root
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.at)
        self.at.children.append(node)
        if tag not in self.VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Node(tag, attrs, self.at))

    def handle_endtag(self, tag):
        n = self.at
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.at = n.parent

    def handle_data(self, data):
        self.at.text += data


def refscope(*args):
    proc = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"refscope {' '.join(map(str, args))}: exit {proc.returncode}\n{proc.stderr}"
    return proc.stdout


def render(page: pathlib.Path, fragment=""):
    """The page's DOM after Chromium loaded it and ran its script."""
    assert CHROMIUM, "chromium is not installed: tools/bootstrap installs it for CI"
    with tempfile.TemporaryDirectory(prefix="refscope-chromium-") as profile:
        proc = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                               page.resolve().as_uri() + fragment],
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "<body" in proc.stdout, proc.stderr[-2000:]
    return Dom(proc.stdout).root


def window_args(window):
    return [a for k, v in window.items() for a in ([f"--{k}", v] if v else [])]


def check_page(dom, trace, window):
    args = window_args(window)
    # As many objects listed as the page lists (report's --limit default), so alike paths are grouped alike.
    leaks = json.loads(refscope("leaks", trace, "--format", "json", "--limit", "1000", *args))
    cycles = json.loads(refscope("cycles", trace, "--format", "json", *(["--at", window["to"]] if window.get("to") else [])))

    # The script ran (sorting, zooming are its work).
    body = dom.by_tag("body")[0]
    assert body.attrs.get("data-script") == "ready"

    # Leak groups: the same rows, counts and bytes as the JSON report.
    want = sorted((g["type"], g["site"], g["kind"], g["objects"], g["bytes"]) for g in leaks["groups"])
    rows = dom.by_id("leak-groups").by_tag("tr", "group") if leaks["groups"] else []
    got = sorted((r.attrs["data-type"], r.attrs["data-site"], r.attrs["data-kind"], int(r.attrs["data-objects"]),
                  int(r.attrs["data-bytes"])) for r in rows)
    assert got == want
    # ... and what a reader sees in each row says the same.
    for r in rows:
        cells = [c.all_text().strip() for c in r.by_tag("td")]
        assert cells[0] == r.attrs["data-kind"] and cells[1] == r.attrs["data-type"]
        assert cells[3].replace(",", "") == r.attrs["data-objects"]
        assert cells[4].replace(",", "") == r.attrs["data-bytes"]
    kinds = {f.attrs["data-kind"]: (int(f.attrs["data-objects"]), int(f.attrs["data-bytes"]))
             for f in dom.by_id("leaks").find_all(lambda n: "data-kind" in n.attrs and n.tag == "div")}
    for kind, objects in leaks["totals"]["by_kind"].items():
        assert kinds[kind] == (objects, leaks["totals"]["bytes_by_kind"][kind])
    assert kinds["total"] == (leaks["totals"]["objects"], leaks["totals"]["bytes"])

    # Cycles: one picture each (up to 30), with every member and reference of a small cycle drawn.
    section = dom.by_id("cycles")
    figures = [f for f in section.by_tag("figure", "cycle")][: len(cycles["cycles"])]
    assert int(section.attrs["data-cycles"]) == len(cycles["cycles"])
    assert len(figures) == min(30, len(cycles["cycles"]))
    for fig, cyc in zip(figures, cycles["cycles"]):
        svg = fig.by_tag("svg")[0]
        assert int(fig.attrs["data-objects"]) == len(cyc["objects"])
        assert int(fig.attrs["data-bytes"]) == cyc["bytes"]
        if len(cyc["objects"]) <= 24 and len(cyc["held"]) <= 12:
            boxes = svg.by_tag("g", "node") + svg.by_tag("g", "held")
            assert len(boxes) == len(cyc["objects"]) + len(cyc["held"])
            assert len(svg.by_tag("path", "edge")) == len(cyc["edges"])
            drawn = {b.by_tag("text")[1].all_text() for b in svg.by_tag("g", "node")}
            assert drawn == {f'{o["address"]}@{o["line"]}' for o in cyc["objects"]}
            # Each reference drawn between the boxes of its two objects, with its label where the trace has one.
            address = {int(b.attrs["data-index"]): b.attrs["data-address"] for b in boxes}
            got_edges = sorted((address[int(e.attrs["data-from"])], address[int(e.attrs["data-to"])],
                                e.attrs.get("data-label")) for e in svg.by_tag("path", "edge"))
            labels = cyc.get("edge_labels", [None] * len(cyc["edges"]))
            assert got_edges == sorted((f, t, l) for (f, t), l in zip(cyc["edges"], labels))
            shown = sorted(t.all_text() for t in svg.by_tag("text", "edge-label"))
            assert shown == sorted(l if len(l) <= 24 else "\u2026" + l[-23:] for l in labels if l)

    # Each listed object as the JSON lists it: its size (what it owns included), its name, and for a retained one
    # the path that keeps it alive step by step with each reference's label, or, for a path like an earlier one's,
    # which one; a first path says how many more are like it.
    listed = {(o["address"], o["line"]): o for o in leaks["objects"]}
    for li in dom.by_id("leaks").by_tag("li", "leak-object") if leaks["groups"] else []:
        o = listed[(li.attrs["data-address"], int(li.attrs["data-line"]))]
        own = [s for s in li.children if s.tag == "span" and "data-size" in s.attrs]
        assert int(own[0].attrs["data-size"]) == o["size"]
        names = [s.all_text() for s in li.children if s.tag == "span" and s.attrs.get("class") == "name"]
        assert names == ([f'({o["name"]})'] if "name" in o else [])
        paths, like = li.by_tag("ol", "path"), li.by_tag("div", "path-like")
        more = li.by_tag("div", "more-paths")
        if "path_like" in o:
            assert not paths and like[0].attrs["data-like"] == leaks["objects"][o["path_like"]]["address"]
        elif o["kind"] == "retained" and o.get("path"):
            steps = [s for s in paths[0].children if s.tag == "li"]
            assert [s.attrs["data-address"] for s in steps] == [p["address"] for p in o["path"]]
            assert [s.attrs.get("data-via") for s in steps] == [p.get("via") for p in o["path"]]
            for s, p in zip(steps, o["path"]):
                assert [n.all_text() for n in s.by_tag("span", "name")] == ([f'({p["name"]})'] if "name" in p else [])
                assert int(s.by_tag("span", "muted")[0].attrs["data-size"]) == p["size"]
            assert [int(m.attrs["data-more"]) for m in more] == ([o["more_paths_like_it"]]
                                                                 if "more_paths_like_it" in o else [])
        else:
            assert not paths and not like and not more

    # Owned bytes: a format-2 page says how many live objects own memory their size leaves out.
    summary = json.loads(refscope("summary", trace, "--format", "json", *(["--at", window["to"]] if window.get("to") else [])))
    if summary["trace"]["version"] >= 2:
        assert int(dom.by_id("owned-bytes").attrs["data-unmeasured"]) == summary["live"]["unmeasured_objects"]
    else:
        assert not dom.find_all(lambda n: n.attrs.get("id") == "owned-bytes")

    # The chart: a line per series over every sample, a dashed line per marker.
    chart = dom.by_id("timeline")
    samples = int(chart.attrs["data-samples"])
    assert samples >= 2
    for series in ("series-bytes", "series-objects"):
        line = chart.by_tag("polyline", series)[0]
        assert len(line.attrs["points"].split()) == samples
    assert len(chart.by_tag("g", "marker")) == int(chart.attrs["data-markers"])
    return leaks, cycles


def make_report(tmp_path, trace, window, name="report.html"):
    page = tmp_path / name
    refscope("report", trace, "-o", page, *window_args(window))
    text = page.read_text()
    # Self-contained: nothing is fetched from anywhere.
    for needle in ("src=\"http", "href=\"http", "@import", "url(http", "<link "):
        assert needle not in text, needle
    return page


def test_recorded_sample(tmp_path):
    trace = SAMPLES / "recorded" / "leaky_service-py3.11.trace.zst"
    window = {"from": "ready", "to": "request#3"}
    page = make_report(tmp_path, trace, window)
    # Loaded sorted by objects, smallest first: the script sorts on `#sort=objects`.
    dom = render(page, "#sort=objects")
    leaks, _ = check_page(dom, trace, window)
    table = dom.by_id("leak-groups")
    assert table.attrs.get("data-sorted") == "objects:asc"
    counts = [int(r.attrs["data-objects"]) for r in table.by_tag("tr", "group")]
    assert counts == sorted(counts) and len(set(counts)) > 1
    # Each kind the service leaks is there, and a retained group opens to a path that keeps it alive.
    assert {g["kind"] for g in leaks["groups"]} >= {"unowned", "retained", "cyclic", "indirect"}
    assert any(o.by_tag("ol", "path") for o in table.by_tag("li", "leak-object"))
    # The icicle graph's root spans every leaked byte grouped by stack.
    icicle = dom.by_id("icicle")
    assert int(icicle.attrs["data-bytes"]) == leaks["totals"]["bytes"]
    # Markers: the chart names the ones the trace has.
    labels = [g.attrs["data-label"] for g in dom.by_id("timeline").by_tag("g", "marker")]
    assert "ready" in labels and labels.count("request") == 3
    # The dominator tree: top objects, largest first.
    top = [int(li.attrs["data-retained"]) for li in dom.by_id("dominators").children if li.tag == "li"
           and "data-retained" in li.attrs]
    assert top and top == sorted(top, reverse=True)


def test_hand_written_samples(tmp_path):
    # Leaks of every kind, and a heap with cycles (one page each: a browser start is the cost).
    for i, (trace, window) in enumerate([(SAMPLES / "leaks" / "kinds.trace", {}),
                                         (SAMPLES / "graphs" / "heap.trace", {})]):
        page = make_report(tmp_path, trace, window, f"page{i}.html")
        check_page(render(page), trace, window)


RECORDER = os.environ.get("REFSCOPE_RECORDER_BUILT") == "1"


@pytest.mark.skipif(not RECORDER, reason="the recorder is not built in this tree")
def test_freshly_recorded_program(tmp_path):
    trace = tmp_path / "service.trace.zst"
    proc = subprocess.run([BINARY, "record", "-o", trace, "--", "/usr/bin/python3", ROOT / "examples" / "leaky_service.py"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    window = {"from": "ready", "to": "request#3"}
    page = make_report(tmp_path, trace, window)
    leaks, cycles = check_page(render(page), trace, window)
    assert leaks["totals"]["by_kind"]["cyclic"] > 0 and cycles["cycles"]


def test_names_labels_and_owned_bytes(tmp_path):
    # A format-2 trace written for this test: three 64 KiB buffers a module's list keeps (named paths, alike), two
    # nodes that hold each other under labelled references, one object whose owned memory is not measured.
    trace = ROOT / "tests" / "html" / "named.trace"
    window = {"from": "start"}
    page = make_report(tmp_path, trace, window)
    dom = render(page)
    leaks, cycles = check_page(dom, trace, window)
    # What check_page compared is there to compare: named steps, labels, a group of alike paths, labelled edges.
    objects = dom.by_id("leaks").by_tag("li", "leak-object")
    assert len([o for o in objects if o.by_tag("ol", "path")]) == 1
    assert len([o for o in objects if o.by_tag("div", "path-like")]) == 2
    assert [int(m.attrs["data-more"]) for m in dom.by_tag("div", "more-paths")] == [2]
    steps = [s for s in dom.by_tag("ol", "path")[0].children if s.tag == "li"]
    assert steps[0].by_tag("span", "name")[0].all_text() == "(module app.server)"
    assert [[c.all_text() for c in s.by_tag("code", "via")] for s in steps] == \
        [[], [".__dict__"], ["['_errors']"], ["[0]"]]
    group = [r for r in dom.by_id("leak-groups").by_tag("tr", "group") if r.attrs["data-type"] == "builtins.bytearray"]
    assert int(group[0].attrs["data-bytes"]) == 3 * 65593 == leaks["totals"]["bytes_by_kind"]["retained"]
    assert sorted(e.attrs.get("data-label") for e in dom.by_id("cycles").by_tag("path", "edge")) == \
        [".__dict__", ".next", ".prev"]
    assert int(dom.by_id("owned-bytes").attrs["data-unmeasured"]) == 1
    # Sites under the recorded project root (`@ path root /srv/app`) are shown from it; the whole path on hover.
    sites = {s.all_text(): s.attrs["title"] for s in dom.by_id("leak-groups").by_tag("span", "site")}
    assert sites["app/server.py:40 in handle"] == "/srv/app/app/server.py:40 in handle"
