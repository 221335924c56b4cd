"""Record what a CPython program does with its objects into a refscope trace.

    import refscope_record

    with refscope_record.start("app.trace.zst"):      # or run under `refscope record`
        refscope_record.mark("warm")                 # a checkpoint, then marker `warm`
        work()
        refscope_record.mark("done", collect=True)   # gc.collect() first: no cyclic garbage left

    $ refscope leaks --from warm --to done app.trace.zst

Every function here does nothing harmful when no recording runs: mark() is a no-op then, so a test suite can
call it unconditionally and be recorded only when someone runs it under `refscope record`.
"""

import atexit
import gc
import os
import sys

from . import _native

__all__ = ["start", "stop", "mark", "is_recording", "Recording"]

_state = {
    "pattern": None,   # the path as given, maybe with %p
    "path": None,      # the file being written
    "options": None,
    "hooks": False,    # atexit and at-fork handlers registered
}


_SHELL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")


def _argv():
    """The command line as a shell would take it back (what shlex.join gives, without importing shlex and the
    modules it brings: the program's sys.modules stays its own)."""
    words = []
    for word in getattr(sys, "orig_argv", sys.argv):
        if word and all(c in _SHELL_SAFE for c in word):
            words.append(word)
        else:
            words.append("'" + word.replace("'", "'\"'\"'") + "'")
    return " ".join(words)


def _paths(root=None):
    """The directories refscope names files relative to (`@ path KIND DIR`): the project root when the caller knows
    it, the working directory (the root otherwise), the stdlib and the site directories. Only modules the
    interpreter has already imported are asked: recording must not import anything."""
    entries = []
    if root:
        entries.append(("root", os.path.abspath(os.fspath(root))))
    try:
        entries.append(("cwd", os.getcwd()))
    except OSError:  # the working directory was removed
        pass
    entries.append(("stdlib", os.path.dirname(os.path.abspath(os.__file__))))
    sites = []
    site = sys.modules.get("site")
    if site is not None:
        try:
            sites += site.getsitepackages()
        except AttributeError:  # a virtualenv's old site.py
            pass
        if getattr(site, "ENABLE_USER_SITE", False) and getattr(site, "USER_SITE", None):
            sites.append(site.USER_SITE)  # site.main() found it; asking again could import pwd
    sites += [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    for directory in sites:
        entry = ("site", os.path.abspath(directory))
        if entry not in entries:
            entries.append(entry)
    return "\n".join("%s %s" % entry for entry in entries if "\n" not in entry[1])


def _expand(pattern, pid):
    """`%p` is the process id (so that forked and spawned children each write their own trace), `%%` is `%`."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "%" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "p":
                out.append(str(pid))
                i += 2
                continue
            if nxt == "%":
                out.append("%")
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _default_path():
    return "refscope-%p.trace.zst"


class Recording:
    """The running recording; as a context manager it stops the recording at the end of the block."""

    def __init__(self, path):
        self.path = path

    def mark(self, label, *, collect=False):
        mark(label, collect=collect)

    def stop(self, label="stop", *, collect=False):
        stop(label, collect=collect)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop()
        return False


def start(path=None, *, stack_depth=1, checkpoint_every=0, max_size=0, ref_tracer=True,
          checkpoint_signal=None, zstd_level=None, final_signals=True, quiet=False, root=None, text=None):
    """Start recording into `path` (default `refscope-%p.trace.zst`; `%p` is the pid; `.zst` compresses).

    stack_depth: Python frames kept per allocation site (0: none). checkpoint_every: seconds between automatic
    checkpoints (0: only mark() and the end). max_size: cut the trace, at a record boundary, before it passes
    this many bytes, and stop recording (0: no cap). ref_tracer: use PyRefTracer on 3.13+. checkpoint_signal: a
    signal number that asks for a checkpoint (e.g. signal.SIGUSR2). final_signals: SIGTERM, SIGHUP, SIGQUIT and
    SIGINT write a last checkpoint before the program dies of them. Signal handlers are installed only where the
    program left the default action. quiet: no warnings on stderr. root: the project's directory, which refscope
    names files relative to in baselines, suppressions and JUnit reports (default: the working directory).
    text: write the trace as text instead of the compact binary encoding (default: binary, unless the
    environment sets REFSCOPE_RECORD_TEXT=1); `refscope convert` turns either into the other.
    Returns a Recording, usable as a context manager. Raises RuntimeError if a recording already runs.
    """
    pattern = path if path is not None else _default_path()
    real_path = _expand(os.fspath(pattern), os.getpid())
    if zstd_level is None:
        zstd_level = int(os.environ.get("REFSCOPE_RECORD_ZSTD_LEVEL", "3")) if real_path.endswith(".zst") else 0
    if text is None:
        text = os.environ.get("REFSCOPE_RECORD_TEXT", "0") == "1"
    options = dict(
        stack_depth=int(stack_depth),
        zstd_level=int(zstd_level),
        max_bytes=int(max_size),
        checkpoint_every_ms=int(round(float(checkpoint_every) * 1000)),
        use_tracer=bool(ref_tracer),
        checkpoint_signal=int(checkpoint_signal or 0),
        final_signals=bool(final_signals),
        quiet=bool(quiet),
        argv=_argv(),
        paths=_paths(root),
        text=bool(text),
    )
    _native.start(real_path, **options)
    _state.update(pattern=os.fspath(pattern), path=real_path, options=options)
    if _native.gc_callback not in gc.callbacks:
        # First: a full collection clears CPython's freelists, and the recorder must close the float one again
        # before any other callback can free a float.
        gc.callbacks.insert(0, _native.gc_callback)
    if not _state["hooks"]:
        atexit.register(_at_exit)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_child)
        _state["hooks"] = True
    # Everything alive now is older than any window the program marks from here on.
    _native.checkpoint("start")
    return Recording(real_path)


def stop(label="stop", *, collect=False):
    """A last checkpoint (marker `label`), then the trace is closed, ending with `E stop`. Does nothing when not
    recording.

    label=None: no last checkpoint; the trace is closed at once, still with its `E stop`. For a harness that reads
    the trace only up to a mark of its own: it saves the checkpoint's time, and what changed after that mark is
    partly unknown (objects made since and still alive, and every reference, are not in the trace).
    collect: run the cyclic garbage collector first, so the last checkpoint does not see garbage it has not
    reached yet (nothing when label is None).
    """
    if label is not None and not isinstance(label, str):
        raise TypeError("refscope_record.stop: the label is a str or None, not %s" % type(label).__name__)
    _stop(label, "stop", collect)


def _stop(label, reason, collect=False, atexit_handler=None):
    if _state["path"] is None and not _native.is_active():
        return
    if collect and label is not None and _native.is_active():
        gc.collect()
    while _native.gc_callback in gc.callbacks:
        gc.callbacks.remove(_native.gc_callback)
    # The final checkpoint (marker `label`) is written by stop() once no periodic one can follow it; then `E
    # reason`. It says on stderr why, if the trace was cut or a write failed. `atexit_handler`: the function atexit
    # is running, when it runs this (atexit holds it meanwhile: a named root).
    _native.stop(reason, label, atexit_handler)
    _state["path"] = None


def mark(label, *, collect=False):
    """A checkpoint, then a marker `label` (refscope's --at/--from/--to LABEL). A no-op when not recording.

    collect: run the cyclic garbage collector first (gc.collect(), as regrtest -R does before it counts), so that
    cyclic garbage the collector has not reached yet is not taken for a leak. Marks a leak gate measures at
    (`refscope check --repeat LABEL`, `--at LABEL`) should collect; it changes when finalizers run, so it is off
    by default.
    """
    if not isinstance(label, str):
        raise TypeError("refscope_record.mark: the label is a str, not %s" % type(label).__name__)
    if collect and _native.is_active():
        gc.collect()
    _native.checkpoint(label)


def is_recording():
    return bool(_native.is_active())


def _at_exit():
    # The interpreter's finalization collects garbage next (when the collector is enabled): the last checkpoint
    # sees the heap as it will.
    if _state["path"] is not None:
        _stop("exit", "exit", gc.isenabled(), _at_exit)


def _at_exit_attached():
    if _state["path"] is not None:
        _stop("exit", "exit", gc.isenabled(), _at_exit_attached)


def _after_fork_child():
    pattern = _state["pattern"]
    if _state["path"] is None or pattern is None:
        return
    if "%p" in pattern:
        path = _expand(pattern, os.getpid())
        _native.after_fork_child(path)
        _state["path"] = path
        _native.checkpoint("fork")
    else:
        # Without %p the child would write over its parent's trace: it does not record.
        _native.after_fork_child(None)
        _state["path"] = None


def _attach(control, path, *, loaded, page, stack_depth, checkpoint_every_ms, argv, quiet):
    """Called by the code `refscope attach` runs in a live process: starts a recording that refscope controls
    through the socket `control`, with a first full checkpoint (marker `attach`). `loaded`: this module was loaded
    for the attach, and goes when it ends. Adds nothing that _detach() does not take away."""
    _native.attach(control, path, page=page, stack_depth=stack_depth, checkpoint_every_ms=checkpoint_every_ms,
                   argv=argv, quiet=quiet, paths=_paths())
    _state.update(pattern=path, path=path, options=None, attached=True, loaded_by_attach=loaded)
    if _native.gc_callback not in gc.callbacks:
        gc.callbacks.append(_native.gc_callback)
    atexit.register(_at_exit_attached)
    _native.checkpoint("attach")
    _native.attach_started()


def _detach():
    """refscope detaches (or ended): the final checkpoint (marker `detach`), the trace closed, the hooks, signal
    handlers, gc callback and atexit entry removed, and this module forgotten if the attach loaded it."""
    atexit.unregister(_at_exit_attached)
    _state["attached"] = False
    if _state.pop("loaded_by_attach", False):
        sys.modules.pop("refscope_record._native", None)
        sys.modules.pop("refscope_record", None)
    _stop("detach", "detach")  # last: it tells refscope that all is undone


def _boot_from_environment():
    """Called from the sitecustomize that `refscope record` puts first on PYTHONPATH."""
    env = os.environ
    pattern = env.get("REFSCOPE_RECORD_OUTPUT")
    if not pattern:
        return
    root = env.get("REFSCOPE_RECORD_ROOT_PID")
    if "%p" not in pattern and root and root != str(os.getpid()):
        return  # a child process: see _after_fork_child
    start(
        pattern,
        stack_depth=int(env.get("REFSCOPE_RECORD_STACK_DEPTH", "1")),
        checkpoint_every=float(env.get("REFSCOPE_RECORD_CHECKPOINT_MS", "0")) / 1000.0,
        max_size=int(env.get("REFSCOPE_RECORD_MAX_SIZE", "0")),
        ref_tracer=env.get("REFSCOPE_RECORD_REF_TRACER", "1") != "0",
        checkpoint_signal=int(env.get("REFSCOPE_RECORD_SIGNAL", "0")),
        quiet=env.get("REFSCOPE_RECORD_QUIET", "0") == "1",
    )
