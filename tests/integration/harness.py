"""Drives the real Pulumi engine through the Automation API on a throwaway backend.

Each harness gets its own project directory (symlinks to the program and the
virtualenv plus a copy of Pulumi.yaml), so stack files and state never land in
the repo, and its own file backend and passphrase.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi import automation as auto

REPO = Path(__file__).resolve().parents[2]
PROJECT_LINKS = ("__main__.py", "components", ".venv")
PASSPHRASE = "integration-tests-only"


def tools_dir() -> Path:
    out = subprocess.run(
        ["bash", "-c", f"source {REPO}/scripts/lib/toolpaths.sh && sf_tools_dir"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


class StackHarness:
    def __init__(self, root: Path, name: str = "it") -> None:
        self.project_dir = root / "project"
        self.project_dir.mkdir(parents=True)
        for link in PROJECT_LINKS:
            (self.project_dir / link).symlink_to(REPO / link)
        shutil.copy(REPO / "Pulumi.yaml", self.project_dir / "Pulumi.yaml")
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
        values = {f"soundfactory:{k}": auto.ConfigValue(v) for k, v in plain.items()}
        values |= {f"soundfactory:{k}": auto.ConfigValue(v, secret=True) for k, v in (secret or {}).items()}
        self.stack.set_all_config(values)

    def remove_config(self, *keys: str) -> None:
        self.stack.remove_all_config([f"soundfactory:{k}" for k in keys])

    def export(self) -> str:
        return json.dumps(self.stack.export_stack().deployment)

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

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}
