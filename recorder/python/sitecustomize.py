# Put first on PYTHONPATH by `refscope record`: starts the recorder before the program runs, then runs the
# sitecustomize module this one hides (Debian and others ship one), so the program starts as it would without us.
import os as _os
import sys as _sys


def _refscope_start():
    try:
        import refscope_record
        refscope_record._boot_from_environment()
    except Exception as exc:  # the program must run even when the recorder cannot
        _sys.stderr.write("refscope: cannot start recording: %s\n" % (exc,))


def _refscope_chain():
    # The sitecustomize this one hides is imported as site.py would have imported it: by the import system itself,
    # with this directory off the path for that moment. (importlib.util would bring contextlib, functools,
    # collections and more into a program that never imported them.)
    here = _os.path.dirname(_os.path.abspath(__file__))
    saved = _sys.path[:]
    ours = _sys.modules.pop("sitecustomize", None)
    try:
        _sys.path[:] = [entry for entry in saved if not entry or _os.path.abspath(entry) != here]
        try:
            import sitecustomize  # noqa: F401  (the hidden one, which now takes the name, as without us)
        except ImportError as exc:
            if exc.name != "sitecustomize":
                _sys.stderr.write("refscope: the program's sitecustomize failed: %s\n" % (exc,))
        except Exception as exc:
            _sys.stderr.write("refscope: the program's sitecustomize failed: %s\n" % (exc,))
    finally:
        _sys.path[:] = saved
        if "sitecustomize" not in _sys.modules and ours is not None:
            _sys.modules["sitecustomize"] = ours


_refscope_start()
_refscope_chain()
