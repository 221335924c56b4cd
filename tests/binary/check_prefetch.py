#!/usr/bin/python3
"""Checks that the replay's prefetch instructions are in the refscope binary.

The replay hides memory latency by prefetching the address-map slots and objects of the records it is about to
apply. Nothing in the output shows whether that happens: GCC once decided that the small functions issuing the
prefetches had no side effect and deleted their calls, the replay ran at half speed, and every test passed. This
test reads the machine code instead: the functions of refscope::Replay must contain prefetch instructions.

usage: check_prefetch.py BINARY [CLASS::PREFIX ...]   (default: refscope::Replay::)
"""
import re
import shutil
import subprocess
import sys


def functions_with_prefetches(binary):
    """{demangled function name: number of prefetch instructions} for every function in the binary."""
    objdump = shutil.which("objdump")
    if objdump is None:
        sys.exit("check_prefetch: objdump (binutils) is not installed")
    out = subprocess.run([objdump, "-d", "-C", "--no-show-raw-insn", binary], capture_output=True, text=True,
                         check=True).stdout
    counts = {}
    current = None
    header = re.compile(r"^[0-9a-f]+ <(.*)>:$")
    for line in out.splitlines():
        m = header.match(line)
        if m:
            current = m.group(1)
            counts.setdefault(current, 0)
        elif current is not None and re.search(r"\tprefetch", line):
            counts[current] += 1
    return counts


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    prefixes = sys.argv[2:] or ["refscope::Replay::"]
    counts = functions_with_prefetches(binary)
    failed = False
    for prefix in prefixes:
        found = {name: n for name, n in counts.items() if name.startswith(prefix)}
        total = sum(found.values())
        if not found:
            print(f"FAIL: no function {prefix}* in {binary}")
            failed = True
        elif total == 0:
            print(f"FAIL: none of the {len(found)} functions {prefix}* has a prefetch instruction; "
                  "the compiler dropped the replay's prefetches (see AddrMap::prefetch)")
            failed = True
        else:
            where = ", ".join(f"{name.split('(')[0]}: {n}" for name, n in sorted(found.items()) if n)
            print(f"ok: {total} prefetch instructions in {prefix}* ({where})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
