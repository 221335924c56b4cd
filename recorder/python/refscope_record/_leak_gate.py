"""The leak gate's verdict on a trace that a test's runs wrote, as the pytest plugin shows it.

This module asks the `refscope` binary (its JSON output) and turns the answer into what a person reads in a test
report; it knows nothing of pytest. Each run of a test ends at a marker `run` (RUN_LABEL), placed after a
garbage collection; a trace starts with the recorder's own marker `start`.

    gate = Refscope(binary, suppressions=[...])
    if gate.first_run_leaked(trace, limits):          # anything of the gated kinds left after one run?
        verdict = gate.repeat_verdict(trace2, limits)    # warm-ups, then runs: did a group grow in every run?
"""

import gzip
import json
import os
import shutil
import subprocess

RUN_LABEL = "run"
KINDS = ("unowned", "retained", "indirect", "cyclic")


class GateError(Exception):
    """refscope could not give a verdict (it is missing, or it refused the trace or the options)."""


class Limits:
    """What one test may leak, and how it is measured.

    kinds: the leak kinds that count, a comma list of unowned, retained, indirect, cyclic, or all.
    max_objects, max_bytes: what the groups that grew in every measured run may add up to over those runs
      (None for both: nothing).
    warmups: runs after the first that are not measured; runs: the measured runs.
    """

    FIELDS = ("kinds", "max_objects", "max_bytes", "warmups", "runs")

    def __init__(self, kinds="all", max_objects=None, max_bytes=None, warmups=1, runs=3):
        self.kinds = kinds
        self.max_objects = max_objects
        self.max_bytes = max_bytes
        self.warmups = warmups
        self.runs = runs
        self.validate()

    def replace(self, **changes):
        values = {name: getattr(self, name) for name in self.FIELDS}
        values.update(changes)
        return Limits(**values)

    def validate(self):
        words = [w.strip() for w in str(self.kinds).split(",") if w.strip()]
        if not words or any(w not in KINDS + ("all",) for w in words):
            raise ValueError("kinds: expected a comma list of %s or all, not %r" % (", ".join(KINDS), self.kinds))
        self.kinds = ",".join(words)
        for name in ("max_objects", "max_bytes"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, _count(name, value, 0))
        self.warmups = _count("warmups", self.warmups, 0)
        self.runs = _count("runs", self.runs, 1)

    def check_options(self):
        options = ["--fail-on", self.kinds]
        if self.max_objects is not None:
            options += ["--max-objects", str(self.max_objects)]
        if self.max_bytes is not None:
            options += ["--max-bytes", str(self.max_bytes)]
        return options

    def describe(self):
        if self.max_objects is None and self.max_bytes is None:
            allowed = "no growth allowed"
        else:
            parts = []
            if self.max_objects is not None:
                parts.append("at most %d objects" % self.max_objects)
            if self.max_bytes is not None:
                parts.append("at most %d bytes" % self.max_bytes)
            allowed = " and ".join(parts)
        return "kinds %s; %s; %d warm-up run%s, %d measured" % (
            self.kinds, allowed, self.warmups, "" if self.warmups == 1 else "s", self.runs)


def _count(name, value, minimum):
    if isinstance(value, bool):
        raise ValueError("%s: expected a whole number, not %r" % (name, value))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError("%s: expected a whole number, not %r" % (name, value)) from None
    if number < minimum or str(number) != str(value).strip():
        raise ValueError("%s: expected a whole number of at least %d, not %r" % (name, minimum, value))
    return number


class Group:
    """A leak group of the verdict: objects of one type, allocated at one site, of one kind."""

    def __init__(self, data):
        self.type = data["type"]
        self.site = data["site"] or "?"  # no site known: a freelist reuse on 3.11, say
        self.kind = data["kind"]
        self.objects = data.get("counted_objects") or data.get("measured_objects") or data["objects"]
        self.bytes = data.get("counted_bytes") or data.get("measured_bytes") or data["bytes"]
        self.growth = data.get("growth") or []
        self.fails = bool(data.get("fails"))
        self.held_by = None  # [{address, line, type}], from an older root to one of the group's objects
        self.roots = []      # the names of the interpreter's roots that hold the path's first object
        self.example = None  # (address, line) of one of its objects

    def key(self):
        return (self.type, self.site, self.kind)


class Verdict:
    def __init__(self, data, trace, limits):
        self.trace = trace
        self.limits = limits
        self.passed = data["verdict"] == "pass"
        self.reason = data["reason"]
        self.iterations = (data.get("repeat") or {}).get("iterations", 0)
        self.groups = [Group(g) for g in data["groups"] if g.get("fails")]
        self.anomalies = data.get("anomalies", 0)


class Refscope:
    """The refscope binary, asked for JSON."""

    def __init__(self, binary, suppressions=(), timeout=600):
        self.binary = binary
        self.suppressions = list(suppressions)
        self.timeout = timeout

    def _json(self, args, statuses=(0, 1)):
        command = [self.binary] + args + ["--format", "json"]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout)
        except OSError as exc:
            raise GateError("cannot run %s: %s" % (self.binary, exc)) from None
        except subprocess.TimeoutExpired:
            raise GateError("%s took more than %d s" % (" ".join(command), self.timeout)) from None
        if proc.returncode not in statuses:
            raise GateError("%s exited with %d: %s" % (" ".join(command), proc.returncode, proc.stderr.strip()))
        try:
            return json.loads(proc.stdout)
        except ValueError as exc:
            raise GateError("%s printed no JSON (%s)" % (" ".join(command), exc)) from None

    def _suppression_options(self):
        options = []
        for path in self.suppressions:
            options += ["--suppressions", path]
        return options

    def grew_in_first_measured_run(self, trace, limits):
        """Read while the recording goes on (every marker ends a readable prefix of the trace), after the
        warm-ups and the first measured run: did a group of the gated kinds grow in that run? If none did, none
        grew in every measured run, and the test passes whatever its other runs do."""
        data = self._json(["check", trace, "--from", "start", "--repeat", RUN_LABEL, "--warmup", str(limits.warmups),
                           "--fail-on", limits.kinds] + self._suppression_options())
        return data["verdict"] != "pass"

    def repeat_verdict(self, trace, limits):
        """After warm-ups and measured runs: the groups that grew in every measured run, against the limits."""
        data = self._json(["check", trace, "--from", "start", "--repeat", RUN_LABEL, "--warmup", str(limits.warmups)]
                          + limits.check_options() + self._suppression_options())
        return Verdict(data, trace, limits)

    def version(self):
        """`refscope --version`: proves the program runs (and loads what asking it needs, before any test)."""
        try:
            proc = subprocess.run([self.binary, "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GateError("cannot run %s: %s" % (self.binary, exc)) from None
        if proc.returncode != 0:
            raise GateError("%s --version exited with %d: %s" % (self.binary, proc.returncode, proc.stderr.strip()))
        return proc.stdout.strip()

    def find_holders(self, verdict):
        """For each failing group, one object the measured runs left, and the path from an older root to it."""
        data = self._json(["leaks", verdict.trace, "--from", measured_from(verdict), "--to",
                           measured_to(verdict), "--limit", "0"])
        wanted = {g.key(): g for g in verdict.groups}
        for obj in data.get("objects", []):
            group = wanted.get((obj["type"], obj["site"] or "?", obj["kind"]))
            if group is None:
                continue
            if group.example is None:
                group.example = (obj["address"], obj["line"])
            if group.held_by is None and obj.get("path"):
                group.held_by = obj["path"]
                group.roots = [r["name"] for r in obj.get("path_named_roots") or [] if r.get("name")]
                group.example = (obj["address"], obj["line"])


def measured_from(verdict):
    """The marker the measured runs start at: the end of the last warm-up run, or the trace's start."""
    warmups = verdict.limits.warmups
    return "%s#%d" % (RUN_LABEL, warmups) if warmups else "start"


def measured_to(verdict):
    return "%s#%d" % (RUN_LABEL, verdict.iterations)


def relative_site(site, rootdir):
    """`/root/proj/tests/test_x.py:12 in f` -> `tests/test_x.py:12 in f` when the file is under rootdir."""
    root = os.path.join(os.fspath(rootdir), "")
    return site[len(root):] if site.startswith(root) else site


def shown_path(path):
    """A path as the report shows it: relative to the current directory when under it."""
    here = os.path.join(os.getcwd(), "")
    return path[len(here):] if path.startswith(here) else path


def describe_failure(verdict, rootdir, binary="refscope"):
    """The text pytest shows for a test the gate fails. `binary` is how the commands it suggests call refscope."""
    lines = ["refscope: leaks that grew in every measured run (%s)" % verdict.limits.describe(), verdict.reason, ""]
    rows = [("kind", "type", "site", "objects", "bytes", "growth per run")]
    for g in verdict.groups:
        growth = " ".join("%+d" % n for n in g.growth[verdict.limits.warmups:]) if g.growth else ""
        rows.append((g.kind, g.type, relative_site(g.site, rootdir), "{:,}".format(g.objects),
                     "{:,}".format(g.bytes), growth))
    lines += _table(rows, right=(3, 4))
    held = [g for g in verdict.groups if g.held_by]
    if held:
        lines.append("")
        lines.append("What holds them (shortest path from an older root):")
        for g in held:
            lines.append("  %s at %s:" % (g.type, relative_site(g.site, rootdir)))
            steps = [_step(s) for s in g.held_by]
            if g.roots:
                steps.insert(0, "[held by %s]" % ", ".join(g.roots))
            lines += [("       " if i == 0 else "    -> ") + step for i, step in enumerate(steps)]
    kinds = [k for k in KINDS if k != "retained" and any(g.kind == k for g in verdict.groups)]
    if kinds:
        lines.append("")
        lines += ["%s: %s" % (k, _KIND_MEANING[k]) for k in kinds]
    if verdict.anomalies:
        lines.append("")
        lines.append("The trace has %d anomalies: `%s summary %s` lists them." % (verdict.anomalies, binary,
                                                                                 shown_path(verdict.trace)))
    lines.append("")
    trace = shown_path(verdict.trace)
    lines.append("Trace kept: %s" % trace)
    last = measured_to(verdict)
    lines.append("  %s leaks %s --from %s --to %s" % (binary, trace, measured_from(verdict), last))
    example = next((g.example for g in verdict.groups if g.example), None)
    if example:
        lines.append("  %s why %s %s@%s --at %s" % (binary, trace, example[0], example[1], last))
    return "\n".join(lines)


_KIND_MEANING = {
    "unowned": "held by a reference no traced object owns and no named root accounts for (a forgotten decref in C)",
    "indirect": "reachable only through other leaks",
    "cyclic": "on a reference cycle that nothing outside it reaches, which the collector did not free",
}


def _step(step):
    text = "%s %s@%s" % (step["type"], step["address"], step["line"])
    label = step.get("label") or step.get("name")
    return "%s (%s)" % (text, label) if label else text


def _table(rows, right=()):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def keep_trace(trace, directory, name):
    """Moves a trace into the directory where failing tests' traces are kept, gzip-compressed (refscope reads
    it as it is); returns its new path. Traces are written plain: cheaper to write and to read, and most are
    deleted as soon as their test passes."""
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, name + ".gz")
    with open(trace, "rb") as src, gzip.open(target, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.unlink(trace)
    return target
