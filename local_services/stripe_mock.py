"""The official stripe-mock (pinned in tools/go-tools, built by `make setup`), bound to
loopback only: without `-https-addr` it listens on every interface, so both addresses
are always given. It validates requests against Stripe's spec and keeps no state."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from local_services.common.http_server import LOOPBACK, free_port

REPO = Path(__file__).resolve().parents[1]


class StripeMockMissing(Exception):
    pass


def _binary() -> str:
    found = shutil.which("stripe-mock")
    if found:
        return found
    out = subprocess.run(
        ["bash", "-c", f"source {REPO}/scripts/lib/toolpaths.sh && sf_go_tools_dir"],
        capture_output=True,
        text=True,
        check=False,
    )
    candidate = Path(out.stdout.strip()) / "bin" / "stripe-mock"
    if not candidate.is_file():
        raise StripeMockMissing("stripe-mock is not built; run 'make setup' (scripts/setup-go-tools.sh builds it)")
    return str(candidate)


@dataclass
class RunningStripeMock:
    api_url: str
    _process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def start_stripe_mock(timeout_s: float = 30.0) -> RunningStripeMock:
    http_port, https_port = free_port(), free_port()
    process = subprocess.Popen(
        [_binary(), "-http-addr", f"{LOOPBACK}:{http_port}", "-https-addr", f"{LOOPBACK}:{https_port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StripeMockMissing(f"stripe-mock exited with {process.returncode} before listening")
        try:
            with socket.create_connection((LOOPBACK, http_port), timeout=0.5):
                return RunningStripeMock(f"http://{LOOPBACK}:{http_port}", process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise StripeMockMissing(f"stripe-mock did not listen on {LOOPBACK}:{http_port} within {timeout_s:.0f}s")
