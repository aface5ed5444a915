"""Local services start in the background, are reused when running, and stop."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from local_services.common.http_server import free_port
from local_services.supervisor import Service, healthy, start, stop


def web_service(tmp_path: Path, port: int, argv: list[str] | None = None) -> Service:
    return Service(
        name="web",
        argv=argv or [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        health_url=f"http://127.0.0.1:{port}/",
        env={},
        run_dir=tmp_path / "run",
    )


def test_start_reuse_and_stop(tmp_path: Path) -> None:
    service = web_service(tmp_path, free_port())
    said: list[str] = []
    start(service, say=said.append)
    try:
        assert healthy(service.health_url)
        pid = service.pid_file.read_text().strip()
        start(service, say=said.append)
        assert service.pid_file.read_text().strip() == pid
        assert said[-1].startswith("web: already running")
    finally:
        stop(service, say=said.append)
    assert not healthy(service.health_url)
    assert not service.pid_file.exists()
    assert said[-1] == "web: stopped"
    # Started by this process, it is reaped by stop (not left a zombie that looks alive to kill(pid, 0)).
    with pytest.raises(ChildProcessError):
        os.waitpid(int(pid), os.WNOHANG)


def test_a_service_that_dies_on_start_up_shows_its_log(tmp_path: Path) -> None:
    port = free_port()
    crashing = web_service(tmp_path, port, [sys.executable, "-c", "import sys; print('bad flag'); sys.exit(3)"])
    with pytest.raises(RuntimeError, match=r"web exited with 3 during start-up(.|\n)*bad flag"):
        start(crashing, say=lambda _: None)
