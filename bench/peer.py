"""The peer for `newsprint bench`: the script a data engineer would write in an afternoon, same archive.

The script is the project's shared `bench/peer_script.py` (one process, pure-Python jieba,
blank-line splitting, two regexes, Pandera, DuckDB through Arrow), found beside this checkout
(`../shared/bench/peer_script.py`) or named by `--peer-script` / NEWSPRINT_PEER_SCRIPT. It
runs in a virtual environment of its own, `bench/out/peer-venv`, made once by uv from
`bench/peer-requirements.txt` (its libraries at Newsprint's pins, constrained by
requirements.lock): pure jieba, not rjieba, as its author would have installed it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from flows.settings import PROJECT_ROOT

PEER_ENV = "NEWSPRINT_PEER_SCRIPT"
PYTHON_ENV = "NEWSPRINT_PEER_PYTHON"  # an interpreter that has the peer's libraries (the tests' own)
DEFAULT_SCRIPT = PROJECT_ROOT.parent / "shared" / "bench" / "peer_script.py"
REQUIREMENTS = PROJECT_ROOT / "bench" / "peer-requirements.txt"
LOCK = PROJECT_ROOT / "requirements.lock"
VENV = PROJECT_ROOT / "bench" / "out" / "peer-venv"
_SUMMARY = re.compile(
    r"(?P<issues>\d+) issues, [\d.]+ MB, (?P<accepted>\d+) accepted, (?P<rejected>\d+) rejected"
)


def peer_script(option: Path | None = None) -> Path | None:
    """Return the peer script to run (the option, NEWSPRINT_PEER_SCRIPT, or the shared one), if it exists."""
    script = option or Path(os.environ.get(PEER_ENV) or DEFAULT_SCRIPT)
    return script if script.is_file() else None


def peer_python(venv: Path = VENV) -> Path:
    """Return the peer environment's Python, making the environment first if it is missing or stale.

    NEWSPRINT_PEER_PYTHON names another interpreter instead (tests, which cannot reach PyPI).
    """
    if os.environ.get(PYTHON_ENV):
        return Path(os.environ[PYTHON_ENV])
    python = venv / "bin" / "python"
    stamp = venv / ".requirements"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes() + LOCK.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise RuntimeError("making the peer's environment needs uv (`make dev` installs it in .venv/bin)")
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    install = [
        uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        str(python),
        "-r",
        str(REQUIREMENTS),
        "-c",
        str(LOCK),
    ]
    subprocess.run(install, check=True)
    stamp.write_text(wanted)
    return python


def peer_command(script: Path, archive: Path, warehouse: Path) -> list[str]:
    """The command that runs the peer script over an archive into its own warehouse."""
    return [str(peer_python()), str(script), str(archive), str(warehouse)]


def peer_counts(output: str) -> dict[str, int]:
    """Read the issues, accepted and rejected articles from the peer script's last line."""
    found = _SUMMARY.search(output)
    if found is None:
        raise RuntimeError(f"the peer script did not say what it loaded: {output[-300:]!r}")
    return {name: int(value) for name, value in found.groupdict().items()}
