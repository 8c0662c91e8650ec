"""Start a real, isolated Prefect server on 127.0.0.1 (integration tests, `newsprint bench`).

This module deliberately does not import ``prefect``: importing it creates the
``PREFECT_HOME`` directory (``~/.prefect`` by default) as a side effect.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

SERVER_LOG_NAME = "prefect-server.log"
STARTUP_TIMEOUT_S = 180.0  # ~20-25 s idle on 2 cores; 60+ s seen under load
STOP_TIMEOUT_S = 15.0

# Settings that keep a test server offline, quiet and fast to start.
_SERVER_SETTINGS: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no telemetry to sens-o-matic
    "PREFECT_SERVER_UI_ENABLED": "false",  # no copy of the UI bundle into PREFECT_HOME
    "PREFECT_SERVER_LOGGING_LEVEL": "INFO",
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_env(
    prefect_home: Path,
    api_url: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Build a subprocess environment with no inherited ``PREFECT_*`` variables.

    Dropping the caller's ``PREFECT_*`` variables (profile, API URL, API key, ...)
    keeps a developer's own Prefect setup out of the test.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(prefect_home)
    env["PREFECT_PROFILES_PATH"] = str(prefect_home / "profiles.toml")
    env["PYTHONUNBUFFERED"] = "1"
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    if extra:
        env.update(extra)
    return env


def _health_ok(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _log_tail(log_path: Path, lines: int = 40) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "<no server log>"
    return "\n".join(text.splitlines()[-lines:])


def _stop(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        proc.wait(timeout=timeout)


@contextmanager
def running_prefect_server(
    tmp_path: Path,
    *,
    startup_timeout: float = STARTUP_TIMEOUT_S,
    extra_env: Mapping[str, str] | None = None,
    pids: list[int] | None = None,
) -> Iterator[str]:
    """Run ``prefect server start`` on a free 127.0.0.1 port; yield its API URL.

    The server gets its own ``PREFECT_HOME`` (``tmp_path/prefect-home``) with a
    SQLite database in it, and logs to ``tmp_path/prefect-server.log``. Its process id is
    appended to `pids` when given (a benchmark counts its CPU and memory apart).
    """
    home = tmp_path / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    log_path = tmp_path / SERVER_LOG_NAME
    db_url = f"sqlite+aiosqlite:///{home / 'prefect.db'}"
    env = prefect_env(
        home,
        extra={
            **_SERVER_SETTINGS,
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": db_url,
            **(extra_env or {}),
        },
    )

    with log_path.open("ab") as log:
        # The probed port is free only until we close the socket: retry a lost race.
        for _attempt in range(3):
            port = free_port()
            api_url = f"http://127.0.0.1:{port}/api"
            log_offset = log.tell()
            proc = _spawn_server(port, env, home, log)
            try:
                _wait_healthy(proc, api_url, startup_timeout, log_path, log_offset)
            except _PortTaken:
                continue
            except BaseException:
                _stop(proc)
                raise
            if pids is not None:
                pids.append(proc.pid)
            try:
                yield api_url
            finally:
                _stop(proc)
            return
    raise RuntimeError(f"Prefect server lost the race for a free port 3 times; {log_path}")


class _PortTaken(Exception):
    """The server exited because its port was taken after we probed it."""


def _spawn_server(port: int, env: dict[str, str], home: Path, log: BinaryIO) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "prefect", "server", "start",
        "--host", "127.0.0.1", "--port", str(port),
        "--no-ui", "--analytics-off",
    ]  # fmt: skip
    log.write(f"$ {' '.join(cmd)}\n".encode())
    log.flush()
    return subprocess.Popen(
        cmd,
        cwd=home,  # ignore the caller's prefect.toml / .env / pyproject.toml
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group, so we can stop all of it
    )


def _wait_healthy(
    proc: subprocess.Popen[bytes],
    api_url: str,
    timeout: float,
    log_path: Path,
    log_offset: int,
) -> None:
    """Poll ``/health`` until it answers 200; raise if the server dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with log_path.open("rb") as f:
                f.seek(log_offset)
                if b"already in use" in f.read():
                    raise _PortTaken
            raise RuntimeError(
                f"Prefect server exited with code {proc.returncode} before becoming "
                f"healthy; log {log_path}:\n{_log_tail(log_path)}"
            )
        if _health_ok(api_url):
            return
        time.sleep(0.2)
    raise TimeoutError(
        f"Prefect server at {api_url} not healthy after {timeout:.0f}s; "
        f"log {log_path}:\n{_log_tail(log_path)}"
    )
