"""What CPython's `regrtest -R` puts back between the runs it counts (Lib/test/libregrtest/refleak.py,
dash_R_cleanup, and utils.clear_caches), done the same way between the runs the pytest plugin adds.

Two sorts of state fill a little on every run of a test without being the test's leak:
- process-wide registries a test adds to and does not take back: warnings filters, copyreg's dispatch table (a
  reducer registered for a class made in the test), sys.path_importer_cache, zipimport's directory cache. They
  are taken before a run and put back after it, so what the reported run registered stays;
- caches that fill with whatever a run looked up: re's compiled patterns, the warning registries of modules,
  linecache, the ABC caches of collections.abc, typing's caches, and others regrtest names. They are emptied after
  each run; what a run puts in them again is gone before the marker, so it is not counted.
Of regrtest's list, what is more than a cache is left alone, because a test suite's own set-up may rely on it:
urllib.request.urlcleanup() (it drops an installed opener), mimetypes' defaults (they drop added types), ctypes'
pointer-type cache (it changes the identity of types made from it).
"""
import copyreg
import sys
import warnings


class RegrtestState:
    """Taken before a run the plugin adds; restore() after it, before the marker."""

    def __init__(self):
        self.filters = warnings.filters[:]
        self.dispatch_table = copyreg.dispatch_table.copy()
        self.importer_cache = sys.path_importer_cache.copy()
        zipimport = sys.modules.get("zipimport")
        cache = getattr(zipimport, "_zip_directory_cache", None)
        self.zip_cache = cache.copy() if isinstance(cache, dict) else None

    def restore(self):
        warnings.filters[:] = self.filters
        mutated = getattr(warnings, "_filters_mutated", None)
        if mutated is not None:
            mutated()
        copyreg.dispatch_table.clear()
        copyreg.dispatch_table.update(self.dispatch_table)
        sys.path_importer_cache.clear()
        sys.path_importer_cache.update(self.importer_cache)
        if self.zip_cache is not None:
            cache = sys.modules["zipimport"]._zip_directory_cache
            cache.clear()
            cache.update(self.zip_cache)
        self.zip_cache = self.filters = self.dispatch_table = self.importer_cache = None
        clear_caches()


def _abc_caches_clear():
    abc_module = sys.modules.get("collections.abc")
    if abc_module is None:
        return
    import inspect
    for name in getattr(abc_module, "__all__", ()):
        abc = getattr(abc_module, name, None)
        if abc is None or not inspect.isabstract(abc):
            continue
        for cls in abc.__subclasses__() + [abc]:
            clear = getattr(cls, "_abc_caches_clear", None)
            if clear is not None:
                clear()


def clear_caches():
    """The caches regrtest -R empties before it counts, where their modules are loaded."""
    for module in list(sys.modules.values()):
        try:
            if hasattr(module, "__warningregistry__"):
                del module.__warningregistry__
        except Exception:  # a module object that refuses attribute access is none of ours to judge
            pass
    _abc_caches_clear()
    modules = sys.modules
    if "re" in modules:
        modules["re"].purge()
    if "_strptime" in modules:
        modules["_strptime"]._regex_cache.clear()
    if "urllib.parse" in modules:
        modules["urllib.parse"].clear_cache()
    if "linecache" in modules:
        modules["linecache"].clearcache()
    if "filecmp" in modules:
        modules["filecmp"]._cache.clear()
    if "struct" in modules:
        modules["struct"]._clearcache()
    if "typing" in modules:
        for cleanup in modules["typing"]._cleanups:
            cleanup()
    # Last, as regrtest does: the calls above may have looked attributes up.
    sys._clear_type_cache()
