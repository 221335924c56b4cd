"""Tests made to leak: the leak gate fails each, naming the line that allocated what leaked."""
import ctypes

REGISTRY = []


class Handle:
    pass


def test_registry_grows_every_call():
    REGISTRY.append({"call": len(REGISTRY)})  # LEAK: registry


def test_forgotten_incref():
    handle = Handle()  # LEAK: incref
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(handle))
