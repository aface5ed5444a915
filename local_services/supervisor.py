"""Starts the local services in the background, reuses running ones, stops them.

Each service is a process of its own on loopback, detached from the shell that
started it (so `make demo` returns), with its pid, log and data under
`.local-services/` in the repo (gitignored).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

REPO = Path(__file__).resolve().parent.parent
RUN_DIR = REPO / ".local-services"


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    health_url: str
    env: dict[str, str]
    run_dir: Path = RUN_DIR

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.run_dir / f"{self.name}.log"


def _ssh_banner(url: str) -> bool:
    """`ssh://host:port`: the server answers with an SSH banner (sshd is not an HTTP service)."""
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 22), timeout=1.0) as conn:
            return conn.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def _postgres_ready(url: str) -> bool:
    """`postgresql://role@host:port/db`: the server accepts that (password-less) role into that database."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=1):
            return True
    except psycopg.Error:
        return False


def healthy(url: str) -> bool:
    if url.startswith("ssh://"):
        return _ssh_banner(url)
    if url.startswith("postgresql://"):
        return _postgres_ready(url)
    try:
        return httpx.get(url, timeout=1.0).status_code < 500
    except httpx.HTTPError:
        return False


def _reaped(pid: int) -> bool:
    """Collect `pid` if it is our own exited child. A child started by `start` in this process
    (a test's fixture, say) stays a zombie until waited for, and `kill(pid, 0)` succeeds on a
    zombie: without this `stop` waited its full grace period for every service it stopped."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child (started by another `make services-up`): init reaps it
        return False
    return done == pid


def _pid(service: Service) -> int | None:
    try:
        pid = int(service.pid_file.read_text().strip())
        if _reaped(pid):
            return None
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def start(service: Service, *, timeout_s: float = 60.0, say: Callable[[str], None] = print) -> None:
    if healthy(service.health_url):
        say(f"{service.name}: already running ({service.health_url})")
        return
    service.run_dir.mkdir(parents=True, exist_ok=True)
    with service.log_file.open("ab") as log:
        process = subprocess.Popen(
            service.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **service.env},
            cwd=REPO,
            start_new_session=True,
        )
    service.pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = service.log_file.read_text(errors="replace").splitlines()[-15:]
            raise RuntimeError(
                f"{service.name} exited with {process.returncode} during start-up; log {service.log_file}:\n"
                + "\n".join(tail)
            )
        if healthy(service.health_url):
            say(f"{service.name}: started (pid {process.pid}, log {service.log_file})")
            return
        time.sleep(0.1)
    raise RuntimeError(f"{service.name} did not answer on {service.health_url} within {timeout_s:.0f}s")


def stop(service: Service, *, say: Callable[[str], None] = print) -> None:
    pid = _pid(service)
    if pid is None:
        say(f"{service.name}: not running")
        service.pid_file.unlink(missing_ok=True)
        return
    os.killpg(pid, signal.SIGTERM)
    for _ in range(50):
        if _pid(service) is None:
            break
        time.sleep(0.1)
    else:
        os.killpg(pid, signal.SIGKILL)
    service.pid_file.unlink(missing_ok=True)
    say(f"{service.name}: stopped")


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
