"""A test module in the style of CPython's own, run by regrtest: two of its tests leak on every run, two do not.
CPython's `regrtest -R 3:3` (on a debug build) and `refscope check --repeat` on the same repetitions recorded
(refscope_record.regrtest) must find the same two."""
import ctypes
import unittest

HISTORY = []
SETTINGS = {}


class Request:
    pass


class LeakyTests(unittest.TestCase):
    def test_history_grows(self):
        HISTORY.append(["request", len(HISTORY)])  # LEAK: history

    def test_forgotten_incref(self):
        request = Request()  # LEAK: incref
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(request))


class CleanTests(unittest.TestCase):
    def test_sorting(self):
        self.assertEqual(sorted([3, 1, 2]), [1, 2, 3])

    def test_settings_fill_once(self):
        SETTINGS.setdefault("mode", ["fast", "safe"])


if __name__ == "__main__":
    unittest.main()
