"""Helps `cmake --install` put refscope_record where an interpreter finds it (recorder/install/site.cmake runs it
with each interpreter the recorder was built for).

  python_site.py where PREFIX
      Prints the directory under PREFIX to install into, then `searched` when the interpreter looks there by
      default, `not-searched` otherwise. It is the directory of the interpreter's own site list (site.py) under
      PREFIX nearest to it: Debian's /usr/bin/python3 searches /usr/local/lib/python3.11/dist-packages, which is
      what its sysconfig does not say (its scheme for a prefix puts packages under PREFIX/local). When the
      interpreter searches nothing under PREFIX, it is the posix_prefix scheme's directory for PREFIX.

  python_site.py dist-info SITE VERSION
      Writes SITE/refscope_record-VERSION.dist-info for the package SITE/refscope_record: the metadata, the
      `pytest11` entry point that makes pytest load refscope's plugin, and RECORD (every file with its hash, so
      that the installation can be listed and removed like any other).
"""

import base64
import hashlib
import os
import site
import sys
import sysconfig

NAME = "refscope_record"


def _under(path, prefix):
    path, prefix = os.path.normpath(path), os.path.normpath(prefix)
    return path == prefix or path.startswith(prefix.rstrip(os.sep) + os.sep)


def where(prefix):
    prefix = os.path.abspath(prefix)
    candidates = [p for p in site.getsitepackages() if _under(p, prefix)]
    if candidates:
        nearest = min(candidates, key=lambda p: len(os.path.relpath(p, prefix).split(os.sep)))
        return nearest, "searched"
    fallback = sysconfig.get_path("purelib", "posix_prefix", vars={"base": prefix, "platbase": prefix})
    return fallback, "searched" if fallback in sys.path else "not-searched"


def _record_line(site_dir, path):
    with open(path, "rb") as f:
        data = f.read()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (os.path.relpath(path, site_dir), digest, len(data))


def dist_info(site_dir, version):
    info = os.path.join(site_dir, "%s-%s.dist-info" % (NAME, version))
    os.makedirs(info, exist_ok=True)
    files = {
        "METADATA": "Metadata-Version: 2.1\nName: refscope-record\nVersion: %s\n"
                    "Summary: refscope's CPython recorder and its pytest plugin (installed by cmake --install)\n"
                    % version,
        "entry_points.txt": "[pytest11]\nrefscope = refscope_record.pytest_plugin\n",
        "top_level.txt": NAME + "\n",
        "INSTALLER": "refscope-cmake\n",
    }
    for name, text in files.items():
        with open(os.path.join(info, name), "w") as f:
            f.write(text)
    lines = []
    for root, dirs, names in os.walk(os.path.join(site_dir, NAME)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        lines += [_record_line(site_dir, os.path.join(root, n)) for n in sorted(names)]
    lines += [_record_line(site_dir, os.path.join(info, n)) for n in sorted(files)]
    lines.append("%s,," % os.path.relpath(os.path.join(info, "RECORD"), site_dir))
    with open(os.path.join(info, "RECORD"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv):
    if len(argv) == 3 and argv[1] == "where":
        directory, searched = where(argv[2])
        print(directory)
        print(searched)
        return 0
    if len(argv) == 4 and argv[1] == "dist-info":
        dist_info(argv[2], argv[3])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
