"""Ordinary tests: each fills caches the first time it runs, none leaks. The leak gate passes them all."""
import asyncio
import copy
import copyreg
import functools
import itertools
import json
import logging
import re
import unittest
import warnings

import pytest


@functools.lru_cache(maxsize=None)
def parse_config(text):
    return json.loads(text)


def test_json_round_trip():
    document = {"name": "refscope", "values": [1, 2.5, None, True], "nested": {"a": ["b"]}}
    assert json.loads(json.dumps(document, sort_keys=True)) == document


def test_re_cache_fills_once():
    assert re.findall(r"(\w+)=(\d+)", "a=1, bb=22") == [("a", "1"), ("bb", "22")]
    assert re.sub(r"\s+", " ", "many   spaces\there") == "many spaces here"


def test_lru_cache_fills_once():
    assert parse_config('{"debug": true}') == {"debug": True}


def test_handled_exceptions():
    with pytest.raises(KeyError):
        {}["missing"]
    try:
        int("not a number")
    except ValueError as error:
        assert "invalid literal" in str(error)


def test_lazy_import():
    import decimal
    assert decimal.Decimal("1.10") + decimal.Decimal("2.20") == decimal.Decimal("3.30")


def test_output_logging_and_warnings(capsys, caplog):
    print("some output")
    logging.getLogger("suite").warning("a log record")
    with pytest.warns(UserWarning):
        warnings.warn("expected", UserWarning)
    assert capsys.readouterr().out == "some output\n"
    assert "a log record" in caplog.text


def test_tmp_path(tmp_path):
    (tmp_path / "data.json").write_text(json.dumps([1, 2, 3]))
    assert json.loads((tmp_path / "data.json").read_text()) == [1, 2, 3]


@pytest.mark.parametrize("text,expected", [("1", 1), ("[2]", [2])])
def test_parametrized(text, expected):
    assert json.loads(text) == expected


def test_module_fixture(table):
    assert table["12"] == 144


def test_asyncio_run():
    async def double(x):
        await asyncio.sleep(0)
        return 2 * x
    assert asyncio.run(double(21)) == 42


def test_pickle_reducer_for_a_local_class():
    # A reducer registered for a class made here: regrtest -R puts copyreg's table back between runs, and so does
    # the gate, or every run would leave one class behind.
    class Point:
        def __init__(self, x):
            self.x = x

    copyreg.pickle(Point, lambda p: (Point, (p.x + 1,)))
    assert copy.copy(Point(3)).x == 4


NAMES = itertools.count()


class Options:
    verbose = False


def test_lookups_by_made_names():
    # CPython's method cache keeps each name looked up; the gate clears it, as regrtest -R does
    assert all(getattr(Options, "option_%d" % next(NAMES), None) is None for _ in range(20))


class TestInClass:
    def setup_method(self):
        self.items = [object() for _ in range(10)]

    def test_items(self):
        assert len(self.items) == 10


class UnittestCase(unittest.TestCase):
    def setUp(self):
        self.data = {"k": list(range(5))}

    def test_data(self):
        self.assertEqual(sum(self.data["k"]), 10)
