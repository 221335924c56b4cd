"""A small "service" that leaks three ways, for refscope's README walk-through.

    refscope record -o service.trace -- /usr/bin/python3 examples/leaky_service.py

Each request is handled between two markers, so refscope can look at one request at a time:
- a cache that is never evicted keeps every response (`retained`: an older object holds them);
- a Session and its Handler point at each other, and the collector is off, so they are never freed (`cyclic`);
- a buggy C extension (imitated with ctypes.pythonapi.Py_IncRef) takes a reference it never gives back (`unowned`);
- a failed upload keeps `sys.exc_info()` for a later report, and with it the traceback, its frames and the
  frame's 64 KiB upload buffer (`retained`, the largest leak by far).
"""
import ctypes
import gc
import sys

import refscope_record

RESPONSE_CACHE = {}
_errors = []  # failed uploads, kept for a report that never comes


class Response:
    def __init__(self, body):
        self.body = body


class Session:
    def __init__(self, user):
        self.user = user
        self.handler = Handler(self)


class Handler:
    def __init__(self, session):
        self.session = session


def c_extension_keeps(obj):
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def store(buf):
    raise OSError("disk full")


def upload(request_id):
    buf = bytearray(64 * 1024)
    try:
        store(buf)
    except OSError:
        _errors.append(sys.exc_info())


def handle(request_id):
    session = Session("user-%d" % request_id)
    response = Response(("payload %d " % request_id) * 20)
    RESPONSE_CACHE[request_id] = response
    c_extension_keeps(["buffer", request_id])
    return len(response.body) + len(session.user)


def main():
    gc.disable()  # as a latency-sensitive service might: cycles pile up
    ctypes.pythonapi.Py_IncRef  # ctypes looks the function up once and caches it: before the window
    refscope_record.mark("ready")
    for request_id in range(3):
        handle(request_id)
        upload(request_id)
        refscope_record.mark("request")
    print("served 3 requests")


if __name__ == "__main__":
    main()
