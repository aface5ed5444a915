"""Drives the real Pulumi engine (tests and benchmarks) through the Automation API on a throwaway backend.

Each harness gets its own project directory (symlinks to the program and the
virtualenv plus a copy of Pulumi.yaml), so stack files and state never land in
the repo, and its own file backend and passphrase.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi import automation as auto

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = "throwaway-stacks-only"  # noqa: S105 - protects a throwaway backend


def tools_dir() -> Path:
    out = subprocess.run(
        ["bash", "-c", f"source {REPO}/scripts/lib/toolpaths.sh && sf_tools_dir"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


class StackHarness:
    def __init__(self, root: Path, name: str = "it", program: Path | None = None) -> None:
        """`program`: a directory with its own Pulumi.yaml and __main__.py (default: the real one)."""
        self.project_dir = root / "project"
        self.project_dir.mkdir(parents=True)
        source = program or REPO
        (self.project_dir / "__main__.py").symlink_to(source / "__main__.py")
        (self.project_dir / "components").symlink_to(REPO / "components")
        (self.project_dir / ".venv").symlink_to(REPO / ".venv")
        shutil.copy(source / "Pulumi.yaml", self.project_dir / "Pulumi.yaml")
        backend = root / "state"
        backend.mkdir()
        tools = tools_dir()
        self.env = {
            "PULUMI_BACKEND_URL": f"file://{backend}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_HOME": str(root / "pulumi-home"),
            "PATH": f"{tools / 'bin'}:{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        }
        self.stack = auto.create_or_select_stack(
            stack_name=name,
            work_dir=str(self.project_dir),
            opts=auto.LocalWorkspaceOptions(
                env_vars=self.env,
                pulumi_command=auto.PulumiCommand(root=str(tools), skip_version_check=True),
            ),
        )

    def set_config(self, plain: Mapping[str, str], secret: Mapping[str, str] | None = None) -> None:
        project = self.stack.workspace.project_settings().name
        values = {f"{project}:{k}": auto.ConfigValue(v) for k, v in plain.items()}
        values |= {f"{project}:{k}": auto.ConfigValue(v, secret=True) for k, v in (secret or {}).items()}
        self.stack.set_all_config(values)

    def remove_config(self, *keys: str) -> None:
        project = self.stack.workspace.project_settings().name
        self.stack.remove_all_config([f"{project}:{k}" for k in keys])

    def export(self) -> str:
        """`pulumi stack export` as an operator runs it (Automation's own export shows secrets)."""
        return self.cli("stack", "export").stdout

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the real `pulumi` CLI in the project, as an operator would."""
        return subprocess.run(
            [str(tools_dir() / "bin" / "pulumi"), *args, "--stack", self.stack.name, "--non-interactive"],
            cwd=self.project_dir,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=check,
        )

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        """Start the real CLI in a session of its own (so a test can kill it, or all of it)."""
        return subprocess.Popen(
            [str(tools_dir() / "bin" / "pulumi"), *args, "--stack", self.stack.name, "--non-interactive"],
            cwd=self.project_dir,
            env={**os.environ, **self.env},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def sfops(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """Run `sfops --stack <this stack> <args>` on this project and backend, as cron or CI would."""
        return subprocess.run(
            [str(REPO / "scripts" / "bin" / "sfops"), "--stack", self.stack.name, *args],
            env={**os.environ, **self.env, "SFOPS_PROJECT_DIR": str(self.project_dir), **extra_env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}
