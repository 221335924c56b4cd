"""The README's CI recipes (GitHub Actions, GitLab CI) run as written, on a small project.

Each recipe's shell commands are taken from its YAML block in README.md and run in order, each step as the CI
system runs it (bash -e), as root in a private mount namespace in which /usr/local is an overlay and /tmp a
scratch directory: `cmake --install` there is a real installation that nothing outside the test sees.

What cannot run here is stood in for, and checked instead:
- `apt-get update` does nothing and `apt-get install` checks that every package it names is installed (bootstrap
  installs them), so a misspelt package fails the test;
- `sudo` runs its command (the test is root already);
- REFSCOPE_GIT_URL is this repository (file://), so the recipe builds what is committed here;
- `uses:` steps (checkout, artifact upload, test report) are GitHub's; the project is the working directory, and
  the test checks that the paths the recipe uploads and reports exist.
The GitHub recipe builds refscope (a Release build: about 3 CPU minutes); the GitLab recipe's clone command must be
the same as GitHub's, and it reuses that clone, so its configure and build find nothing to do, and its install
runs again into a fresh /usr/local.

The project has a clean test and a leaking one: the test step must fail the job (exit 1), with the leak in
pytest's JUnit report and its trace kept; with the leak fixed, the same step must pass.
"""
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ElementTree

import pytest
import yaml

from conftest import ROOT

PRELUDE = textwrap.dedent("""\
    sudo() { "$@"; }
    apt-get() {
      case "$1" in
        update) return 0 ;;
        install) shift
          for p in "$@"; do
            case "$p" in -*) continue ;; esac
            dpkg-query -W -f='${Status}\\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
              { echo "recipe: package $p is not installed here" >&2; return 1; }
          done ;;
        *) echo "recipe: apt-get $1 is not stood in for" >&2; return 1 ;;
      esac
    }
    """)

APP = (ROOT / "examples" / "pytest-suite" / "app.py").read_text()
TESTS = textwrap.dedent("""\
    import app


    def test_valid_name():
        assert app.valid_name("alice")


    def test_login():
        assert app.login("alice").user == "alice"
    """)
FIXED_APP = APP.replace("    SESSIONS[len(SESSIONS)] = session  # never removed: a leak\n", "")


def readme_yaml(marker):
    text = (ROOT / "README.md").read_text()
    section = text[text.index(marker):]
    start = section.index("```yaml\n") + len("```yaml\n")
    return yaml.safe_load(section[start:section.index("```\n", start)])


def github_steps():
    doc = readme_yaml("### GitHub Actions")
    jobs = list(doc["jobs"].values())
    assert len(jobs) == 1
    steps = []
    for step in jobs[0]["steps"]:
        if "run" in step:
            steps.append((step.get("name", "run"), step["run"]))
        else:
            steps.append((step["uses"], step.get("with", {})))
    return doc.get("env", {}), steps


def gitlab_job():
    doc = readme_yaml("### GitLab CI")
    assert len(doc) == 1
    return next(iter(doc.values()))


class Namespace:
    """Runs shell steps as root in a private mount namespace: /usr/local an overlay, /tmp a scratch directory."""

    def __init__(self, base, tmp):
        self.base = base
        self.tmp = tmp

    def run(self, steps, env, cwd):
        upper, work = self.base / "upper", self.base / "work"
        shutil.rmtree(upper, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        upper.mkdir()
        work.mkdir()
        script = ["set -u",
                  "mount -t overlay overlay -o lowerdir=/usr/local,upperdir=%s,workdir=%s /usr/local" % (upper, work)]
        # A repository checked out under /tmp stays visible at its own path: it is bound into the scratch directory
        # before that directory covers /tmp (recursively, so the binding comes with it).
        if ROOT.resolve().is_relative_to("/tmp"):
            inside = self.tmp / ROOT.resolve().relative_to("/tmp")
            inside.mkdir(parents=True, exist_ok=True)
            script.append("mount --bind %s %s" % (shlex.quote(str(ROOT.resolve())), shlex.quote(str(inside))))
        script += ["mount --rbind %s /tmp" % self.tmp,
                  "cd %s" % shlex.quote(cwd)]
        for i, (_, commands) in enumerate(steps):
            body = PRELUDE + commands
            script.append("env -i %s bash -e -c %s; echo \"::step %d exit $?\""
                          % (" ".join("%s=%s" % (k, shlex.quote(v)) for k, v in env.items()), shlex.quote(body), i))
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", "\n".join(script)],
                              capture_output=True, text=True, timeout=3600)
        statuses = [int(s) for s in re.findall(r"^::step \d+ exit (\d+)$", proc.stdout, re.M)]
        return statuses, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def namespace(tmp_path_factory):
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("this machine does not allow a private mount namespace (unshare --mount)")
    base = tmp_path_factory.mktemp("recipes")
    tmp = base / "tmp"
    (tmp / "project" / "tests").mkdir(parents=True)
    return Namespace(base, tmp)


def environment(extra=None):
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp/home", "CI": "true",
           "REFSCOPE_GIT_URL": "file://%s" % ROOT}
    # A compiler cache, when this machine has one, makes a second run of this test cheap; a cold one costs nothing.
    if shutil.which("ccache"):
        env.update(CMAKE_C_COMPILER_LAUNCHER="ccache", CMAKE_CXX_COMPILER_LAUNCHER="ccache",
                   CCACHE_DIR=os.environ.get("CCACHE_DIR", os.path.expanduser("~/.cache/ccache")))
    env.update(extra or {})
    return env


SWAP = textwrap.dedent("""\
    mv pytest-junit.xml leaky-junit.xml
    mv refscope-traces leaky-traces
    cp fixed-app.py app.py
    """)


def run_recipe(namespace, install, gate):
    """Installs, runs the gate on the leaking project, fixes the leak (keeping what the first run left aside)
    and runs the gate again. Returns the project directory, the step statuses and the output."""
    project = namespace.tmp / "project"
    for name in ("refscope-traces", "leaky-traces"):
        shutil.rmtree(project / name, ignore_errors=True)
    for name in ("pytest-junit.xml", "leaky-junit.xml"):
        (project / name).unlink(missing_ok=True)
    (project / "app.py").write_text(APP)
    (project / "fixed-app.py").write_text(FIXED_APP)
    (project / "tests" / "test_app.py").write_text(TESTS)
    steps = install + [gate, ("fix the leak", SWAP), gate]
    statuses, out = namespace.run(steps, environment(), "/tmp/project")
    return project, statuses, out


def check_failed_run(project, junit, traces):
    """What the job leaves when the leak gate failed it: pytest's JUnit report and the kept trace."""
    cases = {c.get("name"): c for c in ElementTree.parse(project / junit).getroot().iter("testcase")}
    assert cases["test_valid_name"].find("failure") is None
    failure = cases["test_login"].find("failure")
    assert failure is not None
    assert re.search(r"retained +app\.Session +app\.py:\d+ in login", failure.text or ""), failure.text
    assert (project / traces / "tests_test_app.py_test_login.trace.gz").is_file(), list((project / traces).iterdir())


def test_github_actions_recipe(namespace):
    env_block, steps = github_steps()
    assert "REFSCOPE_GIT_URL" in env_block
    runs = [(name, body) for name, body in steps if isinstance(body, str)]
    uses = {name: body for name, body in steps if not isinstance(body, str)}
    assert [name for name, _ in runs] == ["Install refscope", "Tests, with the leak gate"]
    assert set(uses) == {"actions/checkout@v4", "actions/upload-artifact@v4", "mikepenz/action-junit-report@v4"}
    assert uses["actions/upload-artifact@v4"]["path"].rstrip("/") == "refscope-traces"
    assert uses["mikepenz/action-junit-report@v4"]["report_paths"] == "pytest-junit.xml"

    project, statuses, out = run_recipe(namespace, runs[:1], runs[1])
    assert statuses == [0, 1, 0, 0], out  # installed; the gate fails the job; the fixed project passes
    check_failed_run(project, "leaky-junit.xml", "leaky-traces")
    assert (project / "pytest-junit.xml").is_file() and not (project / "refscope-traces").exists()


def test_gitlab_ci_recipe(namespace):
    job = gitlab_job()
    before, script = job["before_script"], job["script"]
    _, steps = github_steps()
    github_install = [line.strip() for line in dict(steps)["Install refscope"].splitlines() if line.strip()]
    clone = [c for c in before if c.startswith("git clone")]
    assert len(clone) == 1 and clone[0] in github_install, (clone, github_install)
    if (namespace.tmp / "refscope" / ".git").is_dir():
        # The GitHub recipe's identical clone is there: a second clone would refuse the directory, and would
        # fetch the same commit.
        before = [c for c in before if not c.startswith("git clone")]
    install = [("before_script", "\n".join(before))]
    gate = ("script", "\n".join(script))
    assert job["artifacts"]["paths"] == ["refscope-traces/", "pytest-junit.xml"]
    assert job["artifacts"]["reports"]["junit"] == "pytest-junit.xml"

    project, statuses, out = run_recipe(namespace, install, gate)
    assert statuses == [0, 1, 0, 0], out
    check_failed_run(project, "leaky-junit.xml", "leaky-traces")
