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
    here = _os.path.dirname(_os.path.abspath(__file__))
    for entry in _sys.path:
        if not entry or _os.path.abspath(entry) == here:
            continue
        candidate = _os.path.join(entry, "sitecustomize.py")
        if _os.path.isfile(candidate):
            import importlib.util
            spec = importlib.util.spec_from_file_location("sitecustomize", candidate)
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                _sys.stderr.write("refscope: %s failed: %s\n" % (candidate, exc))
            return


_refscope_start()
_refscope_chain()
