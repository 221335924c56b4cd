"""CPython's regrtest -R, with refscope counting: runs a stdlib-style test module's repetitions as regrtest does
and takes a checkpoint where regrtest would read its reference counters.

    refscope record -o test_x.trace.zst -- PYTHON -m refscope_record.regrtest -R 3:3 test_x
    refscope check test_x.trace.zst --repeat iteration --warmup 3

`regrtest -R WARMUPS:RUNS` runs each test module WARMUPS+RUNS times; after each repetition it undoes what the
test machinery caches (dash_R_cleanup), collects garbage and reads the interpreter's total refcount, which only a
debug build of CPython keeps. Run through this module, the same repetitions run on any build: regrtest is
CPython's own (test.libregrtest from the interpreter's test package, every option as `python -m test` takes
it), but where it reads its counters the recorder takes a checkpoint with the marker `iteration`, after
gc.collect(). `refscope check --repeat iteration --warmup WARMUPS` then gives the verdict on the RUNS measured
repetitions: a group of objects (kind, type, site) that grew in every one of them is a leak, as a refcount that
grew in every one is for regrtest. regrtest itself reads zeros and reports no leak: its summary says only
whether the tests passed.

Tests run in this process (no -j), and the recording must already run (refscope record starts it).
"""
import sys
import types

import refscope_record

LABEL = "iteration"


class _CountingSys(types.ModuleType):
    """`sys` as test.libregrtest.refleak sees it: the real module, except for the debug build's counters. Reading
    the total refcount, once per repetition, takes the checkpoint; the others read 0. Nothing else sees this
    object: the interpreter's `sys` stays as it is, so that no test takes this for a debug build."""

    def __init__(self):
        super().__init__("sys")

    def __getattr__(self, name):
        return getattr(sys, name)

    @staticmethod
    def gettotalrefcount():
        refscope_record.mark(LABEL, collect=True)
        return 0

    @staticmethod
    def getallocatedblocks():
        return 0

    @staticmethod
    def _getquickenedcount():
        return 0

    @staticmethod
    def getunicodeinternedsize(*args, **kwargs):
        return 0


def _refuse(message):
    sys.stderr.write("refscope_record.regrtest: %s\n" % message)
    sys.exit(2)


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    if not refscope_record.is_recording():
        _refuse("nothing records: run it as  refscope record -o FILE -- PYTHON -m refscope_record.regrtest "
                "-R 3:3 TEST")
    if not any(a in ("-R", "--huntrleaks") or a.startswith(("-R", "--huntrleaks=")) for a in args):
        _refuse("give regrtest's -R WARMUPS:RUNS (say -R 3:3): the repetitions are what refscope compares")
    if any(a.startswith(("-j", "--multiprocess", "--use-mp")) for a in args):
        _refuse("-j runs tests in other processes, which this recording does not see")
    try:
        from test.libregrtest import refleak
    except ImportError:
        _refuse("this interpreter has no regrtest (Debian: apt-get install libpython3.11-testsuite)")
    refleak.sys = _CountingSys()
    sys.argv[1:] = args
    try:
        from test.libregrtest.main import main as regrtest_main
    except ImportError:
        from test.libregrtest import main as regrtest_main  # 3.11
    if sys.version_info >= (3, 12):
        # Without re-executing the interpreter with regrtest's preferred options: the recording would not survive.
        regrtest_main(_add_python_opts=False)
    else:
        regrtest_main()


if __name__ == "__main__":
    main()
