"""Helpers for tests of long-running programs: start one, read its output line by line with a deadline, wait for
a condition (never a fixed sleep: the machine may be loaded), count what a plain-text trace holds so far."""
import os
import select
import signal
import subprocess
import textwrap
import time

import trace_model
from conftest import REFSCOPE

DEADLINE = 60.0  # seconds any single wait may take before the test fails; generous for a loaded machine


def wait_for(condition, what, timeout=DEADLINE, every=0.02):
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(every)


class Program:
    """A process whose stdout is read line by line; stderr goes to a file (read after the end)."""

    def __init__(self, argv, cwd, env=None, stdin=subprocess.DEVNULL):
        self.stderr_path = os.path.join(str(cwd), "stderr-%d.txt" % time.monotonic_ns())
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=self._stderr, preexec_fn=_no_core_files)
        self.lines = []
        self._buffer = b""

    @property
    def pid(self):
        return self.proc.pid

    def read_line(self, timeout=DEADLINE):
        end = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no output line within %.0f s; got %r" % (timeout, self.lines))
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError("the program ended (%s) before its next line; got %r; stderr: %s"
                                         % (self.proc.wait(), self.lines, self.stderr()))
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        text = line.decode()
        self.lines.append(text)
        return text

    def expect(self, prefix, timeout=DEADLINE):
        line = self.read_line(timeout)
        assert line.startswith(prefix), "expected %r, got %r (stderr: %s)" % (prefix, line, self.stderr())
        return line[len(prefix):].strip()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=DEADLINE):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        rest = self.proc.stdout.read()
        self._buffer += rest
        self.lines.extend(l.decode() for l in self._buffer.split(b"\n") if l)
        self._buffer = b""
        self._stderr.close()
        return code

    def stderr(self):
        if not self._stderr.closed:
            self._stderr.flush()
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _no_core_files():
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def record(python, tmp_path, source, *options, trace="prog.trace", args=(), env=None, stdin=subprocess.DEVNULL):
    """Starts `refscope record` on a program (plain-text trace, so that a test can read it while it grows)."""
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(source))
    argv = [REFSCOPE, "record", "-o", str(tmp_path / trace), *options, "--", python, str(script), *args]
    return Program(argv, tmp_path, env=env, stdin=stdin)


class _Tail:
    """What a growing plain-text trace holds so far, read incrementally (a poll must not reread megabytes)."""

    def __init__(self):
        self.offset = 0
        self.inode = None
        self.markers = []
        self.rest = b""
        self.binary = False

    def update(self, trace):
        try:
            with open(trace, "rb") as f:
                inode = os.fstat(f.fileno()).st_ino
                if inode != self.inode:
                    self.__init__()
                    self.inode = inode
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        if self.offset == 0 and data[:4] == trace_model.BINARY_MAGIC or self.binary:
            # Binary: read again as text, up to its last whole record, at each poll.
            self.binary = True
            self.markers = [line[2:].rstrip("\n") for line in trace_model.text_lines(trace)
                            if line.startswith("M ") and line.endswith("\n")]
            return self.markers
        self.offset += len(data)
        data = self.rest + data
        cut = data.rfind(b"\n") + 1
        self.rest = data[cut:]
        for line in data[:cut].split(b"\n"):
            if line.startswith(b"M "):
                self.markers.append(line[2:].decode())
        return self.markers


_tails = {}


def markers(trace):
    """The labels of the M records written so far (whole lines only)."""
    return list(_tails.setdefault(str(trace), _Tail()).update(trace))


def markers_after(trace, label):
    ms = markers(trace)
    if label not in ms:
        return []
    return ms[len(ms) - ms[::-1].index(label):]


def last_line(trace):
    with open(trace, "rb") as f:
        data = f.read()
    lines = data.rstrip(b"\n").split(b"\n")
    return lines[-1].decode() if lines else ""


SIGNALS = {name: getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")}


def assert_no_anomalies(st):
    """No anomaly in a replayed trace, on every version."""
    assert not st.anomalies, st.anomalies
