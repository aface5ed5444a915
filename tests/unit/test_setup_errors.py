"""Set-up failures say what is wrong and what to do; a cached set-up is reused."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "scripts" / "setup-pulumi.sh"
SYSTEM_PATH = "/usr/bin:/bin"


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_missing_go_is_explained(tmp_path: Path) -> None:
    if shutil.which("go", path=SYSTEM_PATH):
        pytest.skip("go is installed in the system path here")
    result = run(
        ["bash", str(SETUP)], {"PATH": SYSTEM_PATH, "HOME": str(tmp_path), "SOUNDFACTORY_CACHE": str(tmp_path)}
    )
    assert result.returncode == 1
    assert "Go is not installed, and no pulumi >= 3.259.0 is on PATH" in result.stderr
    assert "run 'make setup' again" in result.stderr


def test_failed_build_is_explained(tmp_path: Path) -> None:
    go = shutil.which("go")
    assert go is not None, "the developer machines have Go"
    env = {
        "PATH": f"{Path(go).parent}:{SYSTEM_PATH}",
        "HOME": str(tmp_path),
        "SOUNDFACTORY_CACHE": str(tmp_path / "cache"),
        # An empty module cache with the proxy switched off: the build cannot fetch anything.
        "GOMODCACHE": str(tmp_path / "mod"),
        "GOCACHE": str(tmp_path / "gocache"),
        "GOPROXY": "off",
        "GOFLAGS": "",
    }
    result = run(["bash", str(SETUP)], env)
    assert result.returncode == 1
    assert "building the pulumi CLI failed" in result.stderr
    assert "go env GOPROXY GOSUMDB GOFLAGS" in result.stderr
    assert not list((tmp_path / "cache").glob("*/.complete")), "a failed build must not look complete"


def test_a_suitable_pulumi_on_path_is_used_instead_of_building(tmp_path: Path) -> None:
    ambient = tmp_path / "ambient"
    ambient.mkdir()
    (ambient / "pulumi").write_text("#!/bin/sh\necho v3.300.1\n")
    (ambient / "pulumi-language-python").write_text("#!/bin/sh\nexit 0\n")
    for tool in ambient.iterdir():
        tool.chmod(0o755)
    env = {"PATH": f"{ambient}:{SYSTEM_PATH}", "HOME": str(tmp_path), "SOUNDFACTORY_CACHE": str(tmp_path / "cache")}
    result = run(["bash", str(SETUP)], env)
    assert result.returncode == 0, result.stderr
    assert "using pulumi 3.300.1" in result.stderr
    (tools,) = (tmp_path / "cache").glob("pulumi-*/bin")
    assert (tools / "pulumi").resolve() == (ambient / "pulumi").resolve()


def test_an_older_pulumi_on_path_is_not_used(tmp_path: Path) -> None:
    ambient = tmp_path / "ambient"
    ambient.mkdir()
    (ambient / "pulumi").write_text("#!/bin/sh\necho v3.100.0\n")
    (ambient / "pulumi").chmod(0o755)
    env = {"PATH": f"{ambient}:{SYSTEM_PATH}", "HOME": str(tmp_path), "SOUNDFACTORY_CACHE": str(tmp_path / "cache")}
    result = run(["bash", str(SETUP)], env)
    assert "ignoring pulumi 3.100.0" in result.stderr
    if not shutil.which("go", path=SYSTEM_PATH):
        assert result.returncode == 1
        assert "Go is not installed" in result.stderr


def test_envrc_before_setup_says_what_to_run(tmp_path: Path) -> None:
    env = {"PATH": SYSTEM_PATH, "HOME": str(tmp_path), "SOUNDFACTORY_CACHE": str(tmp_path / "cache")}
    result = run(["bash", "-c", f"cd {REPO} && source .envrc >/dev/null"], {**env, "PULUMI_BACKEND_URL": "file:///x"})
    assert "tools are not set up yet; run 'make setup'" in result.stderr


def test_demo_before_setup_says_what_to_run(tmp_path: Path) -> None:
    result = run(["bash", str(REPO / "scripts" / "demo.sh")], {"PATH": SYSTEM_PATH, "HOME": str(tmp_path)})
    assert result.returncode == 1
    assert "run 'make demo'" in result.stderr


def test_second_setup_is_a_cache_hit() -> None:
    result = run(["bash", str(SETUP)], dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "(cached)" in result.stderr
