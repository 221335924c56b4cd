#!/usr/bin/python3
"""Runs one golden case: the refscope command in NAME.cmd, whose stdout must equal NAME.expected.

A case file holds one line of arguments (shell-quoted, paths relative to the repository root). The command runs in
a scratch directory that links to everything at the root, so that paths read the same but text reports, which show
sites under the current directory relative to it, print the same wherever the repository is checked out. Optional
companions: NAME.status (the expected exit status, default 0), NAME.stdin (fed to stdin), NAME.stderr (text
that stderr must contain). With --regen the outputs are written instead of compared; review them with git diff.
"""
import argparse
import difflib
import pathlib
import shlex
import subprocess
import sys
import tempfile


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--refscope", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--regen", action="store_true")
    ap.add_argument("case")
    args = ap.parse_args()

    case = pathlib.Path(args.case)
    argv = shlex.split(case.read_text().strip())
    stdin_file = case.with_suffix(".stdin")
    stdin = stdin_file.read_bytes() if stdin_file.exists() else b""
    with tempfile.TemporaryDirectory(prefix="refscope-golden-") as scratch:
        for entry in pathlib.Path(args.root).iterdir():
            (pathlib.Path(scratch) / entry.name).symlink_to(entry.resolve())
        result = subprocess.run([args.refscope, *argv], cwd=scratch, input=stdin, capture_output=True, timeout=120)
    out = result.stdout.decode("utf-8", "replace")
    err = result.stderr.decode("utf-8", "replace")

    expected_file = case.with_suffix(".expected")
    status_file = case.with_suffix(".status")
    stderr_file = case.with_suffix(".stderr")
    if args.regen:
        expected_file.write_text(out)
        if result.returncode != 0:
            status_file.write_text(f"{result.returncode}\n")
        elif status_file.exists():
            status_file.unlink()
        print(f"wrote {expected_file} (exit {result.returncode})")
        return 0

    failures = []
    want_status = int(status_file.read_text()) if status_file.exists() else 0
    if result.returncode != want_status:
        failures.append(f"exit status {result.returncode}, expected {want_status}\nstderr:\n{err}")
    if not expected_file.exists():
        failures.append(f"{expected_file} is missing: run tests/golden/regen {case.stem} and review it")
    else:
        expected = expected_file.read_text()
        if out != expected:
            diff = difflib.unified_diff(expected.splitlines(True), out.splitlines(True), "expected", "actual")
            failures.append("stdout differs:\n" + "".join(diff))
    if stderr_file.exists():
        for needle in stderr_file.read_text().splitlines():
            if needle and needle not in err:
                failures.append(f"stderr lacks {needle!r}; stderr was:\n{err}")
    if failures:
        print(f"{case.name}: refscope {shlex.join(argv)}")
        print("\n".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
