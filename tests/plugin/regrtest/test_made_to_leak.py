"""A unittest module in the style of CPython's own tests, two of whose tests leak on every run: CPython's
`regrtest -R 3:3` and refscope's pytest plugin must both find those two, and only those."""
import ctypes
import unittest

_REGISTRY = []
_CACHE = []


class Handle:
    pass


class RegistryTests(unittest.TestCase):
    def test_sorting_is_clean(self):
        self.assertEqual(sorted([3, 1, 2]), [1, 2, 3])

    def test_registry_grows(self):
        _REGISTRY.append({"entry": len(_REGISTRY)})  # LEAK: registry


class ExtensionTests(unittest.TestCase):
    def test_forgotten_incref(self):
        handle = Handle()  # LEAK: incref
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(handle))

    def test_cache_fills_once(self):
        if not _CACHE:
            _CACHE.append(Handle())


if __name__ == "__main__":
    unittest.main()
