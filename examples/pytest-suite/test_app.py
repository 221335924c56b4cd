import pytest

import app


def test_settings():
    assert app.parse_settings('{"debug": false}') == {"debug": False}


def test_bad_settings():
    with pytest.raises(ValueError):
        app.parse_settings("{")


def test_valid_name():
    assert app.valid_name("alice") and not app.valid_name("9lives")


def test_login():
    assert app.login("alice").user == "alice"
