"""A tiny application for the walk-through of refscope's pytest plugin (README, "Gating a pytest suite").

Its settings parser caches what it parsed and its name check uses re's cache: both fill once. Its login keeps
every session it ever made in SESSIONS: that grows with every call, and the leak gate fails the test of it.
"""
import functools
import json
import re

SESSIONS = {}


class Session:
    def __init__(self, user):
        self.user = user


@functools.lru_cache(maxsize=128)
def parse_settings(text):
    return json.loads(text)


def valid_name(name):
    return re.fullmatch(r"[a-z][a-z0-9_]{2,15}", name) is not None


def login(user):
    session = Session(user)
    SESSIONS[len(SESSIONS)] = session  # never removed: a leak
    return session
