"""The README's and the man page's examples are what the binary prints today.

Every fenced block in README.md whose first line is `$ refscope ...` on a bundled sample trace (no pipe, no
redirection) is run, and its output must equal the rest of the block. So is every example in refscope(1)'s
EXAMPLES (a `.nf` block) whose first line is a refscope command on a sample trace and which shows its output.
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


def _unroff(line):
    return line.replace("\\&", "").replace("\\-", "-").replace("\\e", "\\")


def man_examples():
    text = (ROOT / "man" / "refscope.1").read_text()
    examples_section = text.split("\n.SH EXAMPLES\n", 1)[1].split("\n.SH ", 1)[0]
    found = []
    for block in examples_section.split("\n.nf\n")[1:]:
        lines = [line for line in block.split("\n.fi", 1)[0].split("\n") if line not in (".RS", ".RE")]
        first = _unroff(lines[0])
        if not first.startswith("refscope ") or "sample-traces/" not in first or any(c in first for c in "|<>"):
            continue
        if len(lines) > 1:
            found.append((first, "".join(_unroff(line) + "\n" for line in lines[1:])))
    return found


def test_man_page_has_checked_examples():
    assert len(man_examples()) >= 1


@pytest.mark.parametrize("command,expected", man_examples(), ids=[c for c, _ in man_examples()])
def test_man_page_example(command, expected):
    argv = shlex.split(command)
    result = subprocess.run([REFSCOPE, *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout == expected
