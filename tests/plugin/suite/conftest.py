# A conftest that uses refscope_record: plain pytest runs it too (mark() does nothing when nothing records).
import pytest
import refscope_record


@pytest.fixture(scope="module")
def table():
    refscope_record.mark("module-fixture")
    return {str(n): n * n for n in range(100)}
