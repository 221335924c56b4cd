"""Times commands side by side, for the benchmark scripts (run-benchmarks, recorder-overhead, replay-bench).

Each round runs every command once, in turn, so that a change in the machine's load (it is shared) falls on all of
them alike; the figures are medians over the rounds, and the ones to compare are ratios between commands of one
call. CPU time (user + system, the command's and its children's) comes from the kernel's accounting of the child
(os.wait4), so it includes every thread the command starts. Needs nothing but Python's standard library.
"""
import os
import shlex
import statistics
import subprocess
import time


def _run_once(argv, env=None):
    """Runs argv with its output thrown away; returns (wall seconds, cpu seconds, exit status)."""
    with open(os.devnull, "wb") as null:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=null, stderr=null, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def _argv(command):
    return shlex.split(command) if isinstance(command, str) else list(command)


def summarize(samples):
    """Median, mean, standard deviation, minimum and maximum of a list of seconds."""
    return {
        "median_s": statistics.median(samples),
        "mean_s": statistics.fmean(samples),
        "stddev_s": statistics.stdev(samples) if len(samples) > 1 else 0.0,
        "min_s": min(samples),
        "max_s": max(samples),
    }


def alternate(commands, runs, warmup=1, env=None, check=True):
    """Times [(name, command)] (a command is an argv list or a shell-like string) in `runs` rounds after `warmup`
    untimed ones. Returns {name: {"median_s", "mean_s", "stddev_s", "min_s", "max_s", "cpu_median_s", "cpu_mean_s",
    "runs", "wall": [...], "cpu": [...]}}. With `check`, a command that exits non-zero raises RuntimeError."""
    walls = {name: [] for name, _ in commands}
    cpus = {name: [] for name, _ in commands}
    for round_no in range(warmup + runs):
        for name, command in commands:
            wall, cpu, status = _run_once(_argv(command), env)
            if check and status != 0:
                raise RuntimeError(f"{name}: {command} exited with status {status}")
            if round_no >= warmup:
                walls[name].append(wall)
                cpus[name].append(cpu)
    result = {}
    for name, _ in commands:
        figures = summarize(walls[name])
        figures["cpu_median_s"] = statistics.median(cpus[name])
        figures["cpu_mean_s"] = statistics.fmean(cpus[name])
        figures["runs"] = runs
        figures["wall"] = walls[name]
        figures["cpu"] = cpus[name]
        result[name] = figures
    return result


def load_average():
    """The 1-minute load average, to print beside figures taken on a shared machine."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")
