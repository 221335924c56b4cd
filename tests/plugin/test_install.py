"""`cmake --install` puts refscope_record and its pytest plugin where each interpreter finds them: for Debian's
/usr/bin/python3 and prefix /usr/local, a directory it searches by default, registered through a pytest11 entry
point, so that `python3 -m pytest --refscope` works from any directory with no environment variables."""
import base64
import hashlib
import os
import pathlib
import shutil
import subprocess
import textwrap

import pytest

from conftest import BUILD, MAIN_PYTHON, PREFIX, ROOT


def test_site_directory_is_searched_by_default(installed):
    site, where, searched = installed.site(MAIN_PYTHON)
    assert searched, where
    default_path = subprocess.run([MAIN_PYTHON, "-I", "-c", "import sys; print('\\n'.join(sys.path))"],
                                  capture_output=True, text=True, check=True).stdout.split()
    assert where in default_path and where.startswith(PREFIX + "/"), (where, default_path)
    assert (site / "refscope_record" / "pytest_plugin.py").is_file()


def test_dist_info_registers_the_plugin_and_lists_every_file(installed, python):
    site, _, _ = installed.site(python)
    infos = list(site.glob("refscope_record-*.dist-info"))
    assert len(infos) == 1, infos
    info = infos[0]
    assert (info / "entry_points.txt").read_text() == "[pytest11]\nrefscope = refscope_record.pytest_plugin\n"
    listed = {}
    for line in (info / "RECORD").read_text().splitlines():
        path, digest, size = line.rsplit(",", 2)
        listed[path] = (digest, size)
    on_disk = {str(p.relative_to(site)) for p in [*site.joinpath("refscope_record").rglob("*"), *info.iterdir()]
               if p.is_file()}
    assert set(listed) == on_disk, set(listed) ^ on_disk
    for path, (digest, size) in listed.items():
        if path.endswith("/RECORD"):
            assert (digest, size) == ("", "")
            continue
        data = (site / path).read_bytes()
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, size) == ("sha256=" + expected, str(len(data))), path
    # The interpreter's own metadata machinery finds the entry point, and the plugin finds the program.
    probe = textwrap.dedent("""
        import importlib.metadata, os
        from refscope_record import _program
        eps = importlib.metadata.entry_points(group="pytest11")
        print([ep.value for ep in eps if ep.name == "refscope"])
        print(os.path.normpath(os.path.join(os.path.dirname(_program.__file__), _program.REFSCOPE)))
    """)
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)}).stdout.splitlines()
    assert out == ["['refscope_record.pytest_plugin']", str(installed.bin)], out


SMALL_SUITE = {
    "test_small.py": textwrap.dedent("""\
        import json

        CACHE = []


        def test_clean():
            assert json.loads("[1, 2]") == [1, 2]


        def test_leaks():
            CACHE.append(object())
        """),
    "conftest.py": "import refscope_record\nrefscope_record.mark('conftest')\n",
}


def _can_overlay():
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0 and shutil.which("mount") is not None


def test_real_installation_needs_no_environment(tmp_path):
    """In a private mount namespace, /usr/local is an overlay whose changes land in tmp_path: `cmake --install`
    there is a real installation that nothing outside this test sees."""
    if not _can_overlay():
        pytest.skip("this machine does not allow a private mount namespace (unshare --mount)")
    suite = tmp_path / "anywhere"
    suite.mkdir()
    for name, text in SMALL_SUITE.items():
        (suite / name).write_text(text)
    for d in ("upper", "work", "home"):
        (tmp_path / d).mkdir()
    script = textwrap.dedent(f"""\
        set -e
        mount -t overlay overlay -o lowerdir={PREFIX},upperdir={tmp_path}/upper,workdir={tmp_path}/work {PREFIX}
        cmake --install {BUILD} --prefix {PREFIX} > {tmp_path}/install.log
        cd {suite}
        exec env -i PATH={PREFIX}/bin:/usr/bin:/bin HOME={tmp_path}/home sh -c '
            refscope --version
            {MAIN_PYTHON} -c "import refscope_record; refscope_record.mark(\\"x\\"); print(refscope_record.is_recording())"
            {MAIN_PYTHON} -m pytest -p no:cacheprovider --refscope -q -rf; echo "pytest exit $?"'
        """)
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert out.startswith("refscope "), out
    assert "\nFalse\n" in out, out
    assert "FAILED test_small.py::test_leaks" in out and "1 failed, 1 passed" in out, out
    assert "test_small.py:11 in test_leaks" in out, out
    assert "pytest exit 1" in out, out
    # The installation went into the overlay, not the real /usr/local.
    _, where, _ = installed_where(MAIN_PYTHON)
    assert (tmp_path / "upper" / os.path.relpath(where, PREFIX) / "refscope_record" / "_program.py").is_file()


def installed_where(python):
    out = subprocess.run([python, "-I", str(ROOT / "recorder" / "install" / "python_site.py"), "where",
                          PREFIX], capture_output=True, text=True, check=True).stdout.split()
    return None, out[0], out[1] == "searched"
