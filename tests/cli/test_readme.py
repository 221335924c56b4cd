"""The README's examples are what the binary prints today.

Every fenced block in README.md whose first line is `$ refscope ...` on a bundled sample trace (no pipe, no
redirection) is run, and its output must equal the rest of the block.
"""
import os
import pathlib
import shlex
import subprocess

import pytest

ROOT = pathlib.Path(os.environ.get("REFSCOPE_ROOT", pathlib.Path(__file__).resolve().parents[2]))
REFSCOPE = os.environ.get("REFSCOPE", str(ROOT / "build" / "refscope"))


def examples():
    blocks, current = [], None
    for line in (ROOT / "README.md").read_text().splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
    found = []
    for block in blocks:
        first, _, rest = block.partition("\n")
        if not first.startswith("$ refscope ") or "sample-traces/" not in first:
            continue
        if any(c in first for c in "|<>"):
            continue
        found.append((first[2:], rest))
    return found


def test_readme_has_checked_examples():
    assert len(examples()) >= 5


@pytest.mark.parametrize("command,expected", examples(), ids=[c for c, _ in examples()])
def test_readme_example(command, expected):
    argv = shlex.split(command)
    result = subprocess.run([REFSCOPE, *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout == expected
