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
    leaks = json.loads(refscope("leaks", trace, "--format", "json", *args))
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
