"""What scripts/generate-iana-names.py and scripts/generate-sel-states.py share: loading the installed libfreeipmi
through ctypes, its package version for the generated header, and writing a generated Swift file or checking the
committed one against it."""
import ctypes
import ctypes.util
import os
import re
import subprocess
import sys


def library():
    """The installed libfreeipmi and the path it was loaded from."""
    for name in ("libfreeipmi.so.17", ctypes.util.find_library("freeipmi")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        return lib, os.path.realpath(lib._name) if os.path.exists(lib._name) else name
    sys.exit("libfreeipmi is not installed (Debian: apt-get install freeipmi-tools)")


def package_version():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libfreeipmi17"], capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def write_or_check(output, text, script, summary):
    """With --check: 1 when the committed `output` differs from `text` (its leading comment lines, which name the
    library file and package version, aside); otherwise writes `text` there. `summary` says what the table holds."""
    if "--check" in sys.argv[1:]:
        with open(output, encoding="utf-8") as f:
            committed = f.read()
        strip = lambda t: re.sub(r"\A(//[^\n]*\n)+", "", t)
        if strip(committed) != strip(text):
            print(f"{output} differs from what the installed FreeIPMI gives; run {script}")
            return 1
        print(f"ok - {summary} equal the installed FreeIPMI's")
        return 0
    with open(output, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {output}: {summary}")
    return 0
