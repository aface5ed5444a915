"""Set-up failures say what is wrong and what to do; a cached set-up is reused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def _setup_checkout(root: Path, script: str, locks: tuple[str, ...]) -> Path:
    """A copy of one set-up script, the helpers it sources and the lock files it is keyed by."""
    (root / "scripts" / "lib").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / script, root / "scripts")
    shutil.copy(REPO / "scripts" / "lib" / "toolpaths.sh", root / "scripts" / "lib")
    for name in locks:
        shutil.copy(REPO / name, root)
    return root / "scripts" / script


def _npm_checkout(root: Path) -> Path:
    """The npm files and their set-up script, without node_modules."""
    return _setup_checkout(root, "setup-node.sh", ("package.json", "package-lock.json"))


def test_missing_node_is_explained(tmp_path: Path) -> None:
    script = _npm_checkout(tmp_path / "checkout")
    env = {"PATH": str(tmp_path / "no-tools"), "SOUNDFACTORY_CACHE": str(tmp_path / "cache")}
    result = run(["/bin/bash", str(script)], env)
    assert result.returncode == 1
    assert "Node.js and npm are not installed" in result.stderr
    assert "apt-get install nodejs npm" in result.stderr
    assert "run 'make setup' again" in result.stderr
    assert not (tmp_path / "checkout" / "node_modules").exists()


def _fake_npm(bin_dir: Path, *, fail: bool = False) -> None:
    """`npm ci` that installs one package (or fails after it) and records each run in $CALLS."""
    bin_dir.mkdir()
    body = 'mkdir -p node_modules/spec && echo "$PWD" >> "$CALLS"\n' + ("exit 1\n" if fail else "")
    (bin_dir / "npm").write_text(f"#!/bin/sh\n{body}")
    (bin_dir / "node").write_text("#!/bin/sh\n")
    for tool in ("npm", "node"):
        (bin_dir / tool).chmod(0o755)


def test_one_npm_install_per_lock_is_shared_by_checkouts(tmp_path: Path) -> None:
    cache, calls = tmp_path / "cache", tmp_path / "calls"
    _fake_npm(tmp_path / "bin")
    env = {"PATH": f"{tmp_path / 'bin'}:{SYSTEM_PATH}", "SOUNDFACTORY_CACHE": str(cache), "CALLS": str(calls)}
    first = _npm_checkout(tmp_path / "first")
    (tmp_path / "first" / "node_modules" / "stale").mkdir(parents=True)  # npm ci's own, from before the cache
    second = _npm_checkout(tmp_path / "second")

    installed = run(["bash", str(first)], env)
    shared = run(["bash", str(second)], env)

    assert installed.returncode == 0, installed.stderr
    assert shared.returncode == 0, shared.stderr
    assert "(cached)" in shared.stderr
    assert len(calls.read_text().splitlines()) == 1, "npm ran once for the two checkouts"
    (install,) = cache.glob("node-*")
    installed_files = sorted(p.name for p in install.iterdir())
    assert installed_files == [".complete", "node_modules", "package-lock.json", "package.json"]
    for checkout in ("first", "second"):
        link = tmp_path / checkout / "node_modules"
        assert link.is_symlink()
        assert sorted(p.name for p in link.iterdir()) == ["spec"]


def test_a_failed_npm_install_leaves_nothing_to_be_taken_for_finished(tmp_path: Path) -> None:
    cache, calls = tmp_path / "cache", tmp_path / "calls"
    _fake_npm(tmp_path / "bin", fail=True)
    env = {"PATH": f"{tmp_path / 'bin'}:{SYSTEM_PATH}", "SOUNDFACTORY_CACHE": str(cache), "CALLS": str(calls)}
    script = _npm_checkout(tmp_path / "checkout")

    result = run(["bash", str(script)], env)

    assert result.returncode != 0
    assert list(cache.iterdir()) == [], "no install, finished or half-built, is left in the cache"
    assert not (tmp_path / "checkout" / "node_modules").exists()


def test_this_checkouts_node_modules_is_the_cached_install_for_its_lock() -> None:
    result = run(["bash", str(REPO / "scripts" / "setup-node.sh")], dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "(cached)" in result.stderr
    locate = f"source {REPO}/scripts/lib/toolpaths.sh && sf_node_dir"
    install = Path(run(["bash", "-c", locate], dict(os.environ)).stdout.strip())
    assert (REPO / "node_modules").resolve() == (install / "node_modules").resolve()


def test_old_toolchain_builds_are_pruned_keeping_the_current_and_the_previous(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"PATH": SYSTEM_PATH, "HOME": str(tmp_path), "SOUNDFACTORY_CACHE": str(cache)}
    locate = f"source {REPO}/scripts/lib/toolpaths.sh && sf_tools_dir"
    current = Path(run(["bash", "-c", locate], env).stdout.strip())
    finished = {name: cache / f"pulumi-3.200.0-{name}" for name in ("oldest", "older", "previous")}
    building = cache / "pulumi-3.201.0-in-progress"  # no .complete: another checkout may be building it
    # The current build is the oldest on disk: it is kept because it is the one in use.
    last_used = [current, finished["oldest"], finished["older"], finished["previous"], building]
    for index, directory in enumerate(last_used):
        (directory / "bin").mkdir(parents=True)
        if directory != building:
            (directory / ".complete").touch()
        os.utime(directory, (1_700_000_000 + index, 1_700_000_000 + index))
    (cache / "uv-0.13.9").mkdir()

    result = run(["bash", str(SETUP)], env)

    assert result.returncode == 0, result.stderr
    assert "(cached)" in result.stderr
    assert sorted(path.name for path in cache.iterdir()) == sorted(
        [current.name, finished["previous"].name, building.name, "uv-0.13.9"]
    )
    assert f"removing old toolchain build {finished['oldest']}" in result.stderr


def test_a_toolchain_another_checkout_set_up_today_is_kept(tmp_path: Path) -> None:
    """Branches with another language host have another build; one used today may be under a test run."""
    cache = tmp_path / "cache"
    env = {"PATH": SYSTEM_PATH, "HOME": str(tmp_path), "SOUNDFACTORY_CACHE": str(cache)}
    locate = f"source {REPO}/scripts/lib/toolpaths.sh && sf_tools_dir"
    current = Path(run(["bash", "-c", locate], env).stdout.strip())
    old = [cache / f"pulumi-3.200.0-old{index}" for index in range(3)]
    other_branch = cache / "pulumi-3.200.0-other-branch"
    for index, directory in enumerate([current, *old, other_branch]):
        (directory / "bin").mkdir(parents=True)
        (directory / ".complete").touch()
        if directory != other_branch:
            os.utime(directory, (1_700_000_000 + index, 1_700_000_000 + index))

    result = run(["bash", str(SETUP)], env)

    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in cache.iterdir()) == sorted([current.name, old[-1].name, other_branch.name])


def test_a_changed_launcher_replaces_the_cached_one_whole(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"PATH": SYSTEM_PATH, "HOME": str(tmp_path), "SOUNDFACTORY_CACHE": str(cache)}
    locate = f"source {REPO}/scripts/lib/toolpaths.sh && sf_tools_dir"
    build = Path(run(["bash", "-c", locate], env).stdout.strip())
    (build / "bin").mkdir(parents=True)
    (build / ".complete").touch()
    launcher = build / "bin" / "pulumi-resource-pulumi-python"
    launcher.write_text("#!/bin/sh\n# the launcher of an older checkout\n")

    result = run(["bash", str(SETUP)], env)

    assert result.returncode == 0, result.stderr
    ours = REPO / "tools" / "pulumi" / "launchers" / "pulumi-resource-pulumi-python"
    assert launcher.read_bytes() == ours.read_bytes()
    assert os.access(launcher, os.X_OK)
    assert sorted(p.name for p in (build / "bin").iterdir()) == ["pulumi-resource-pulumi-python"], "no temporary left"


def _python_checkout(root: Path) -> Path:
    """The Python lock and its set-up script, with one package of the checkout's own."""
    script = _setup_checkout(root, "setup-python.sh", ("uv.lock", "pyproject.toml"))
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    return script


def _fake_uv(path: Path, *, fail: bool = False) -> None:
    """`uv sync` that makes the environment ($UV_PROJECT_ENVIRONMENT: a python, one package's
    files) and records each run in $CALLS; or fails half-way, as a killed one would."""
    body = (
        'mkdir -p "$UV_PROJECT_ENVIRONMENT/bin" "$UV_PROJECT_ENVIRONMENT/lib"\n'
        f'ln -sf {sys.executable} "$UV_PROJECT_ENVIRONMENT/bin/python"\n'
        'echo "$*" >> "$CALLS"\n' + ("exit 1\n" if fail else 'touch "$UV_PROJECT_ENVIRONMENT/lib/installed"\n')
    )
    path.write_text(f"#!/bin/sh\n{body}")
    path.chmod(0o755)


def test_one_virtualenv_per_lock_is_shared_by_checkouts(tmp_path: Path) -> None:
    cache, calls, uv = tmp_path / "cache", tmp_path / "calls", tmp_path / "uv"
    _fake_uv(uv)
    env = {"PATH": SYSTEM_PATH, "SOUNDFACTORY_CACHE": str(cache), "CALLS": str(calls), "UV": str(uv)}
    first = _python_checkout(tmp_path / "first")
    (tmp_path / "first" / ".venv" / "bin").mkdir(parents=True)  # a venv of its own, from before the cache
    second = _python_checkout(tmp_path / "second")

    for script in (first, second):
        result = run(["bash", str(script), "pkg"], env)
        assert result.returncode == 0, result.stderr

    (environment,) = (p for p in cache.glob("venv-*") if p.is_dir())
    assert (environment / ".soundfactory-complete").exists()
    assert calls.read_text().splitlines() == ["sync --frozen --quiet --compile-bytecode"] * 2
    for checkout in ("first", "second"):
        link = tmp_path / checkout / ".venv"
        assert link.is_symlink()
        assert link.resolve() == environment.resolve()
        assert list((tmp_path / checkout / "pkg" / "__pycache__").glob("__init__.*.pyc")), "our package compiled"


def test_an_unfinished_virtualenv_is_made_again_whole(tmp_path: Path) -> None:
    cache, calls, uv = tmp_path / "cache", tmp_path / "calls", tmp_path / "uv"
    env = {"PATH": SYSTEM_PATH, "SOUNDFACTORY_CACHE": str(cache), "CALLS": str(calls), "UV": str(uv)}
    script = _python_checkout(tmp_path / "checkout")
    _fake_uv(uv, fail=True)

    killed = run(["bash", str(script), "pkg"], env)

    assert killed.returncode != 0
    (environment,) = (p for p in cache.glob("venv-*") if p.is_dir())
    assert not (environment / ".soundfactory-complete").exists()
    (environment / "lib" / "half-installed").touch()

    _fake_uv(uv)
    again = run(["bash", str(script), "pkg"], env)

    assert again.returncode == 0, again.stderr
    assert "removing the unfinished environment" in again.stderr
    assert sorted(p.name for p in (environment / "lib").iterdir()) == ["installed"]
    assert (environment / ".soundfactory-complete").exists()


def test_a_sync_cut_short_on_a_finished_virtualenv_takes_its_completion_away(tmp_path: Path) -> None:
    cache, calls, uv = tmp_path / "cache", tmp_path / "calls", tmp_path / "uv"
    env = {"PATH": SYSTEM_PATH, "SOUNDFACTORY_CACHE": str(cache), "CALLS": str(calls), "UV": str(uv)}
    script = _python_checkout(tmp_path / "checkout")
    _fake_uv(uv)
    assert run(["bash", str(script), "pkg"], env).returncode == 0
    (environment,) = (p for p in cache.glob("venv-*") if p.is_dir())
    assert (environment / ".soundfactory-complete").exists()

    _fake_uv(uv, fail=True)
    assert run(["bash", str(script), "pkg"], env).returncode != 0

    assert not (environment / ".soundfactory-complete").exists(), "the next set-up makes it again whole"
