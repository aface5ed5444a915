"""`pulumi config` started before a subcommand's imports, so the two overlap.

Reading the stack config is a `pulumi config --json --show-secrets` process (~0.45 s, Go),
and importing a subcommand's modules is ~0.4 s of Python: on two cores they can run side by
side. The group starts the read when it has resolved a subcommand that needs the config
(`scripts/sfops/cli.py`), for the stack named so far; `context.read_stack_config` takes the
result when it asks for the same stack and project, else runs its own. The output stays in
this process's memory (a pipe), as with the read it replaces; an unused read is stopped at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT_DIR_ENV = "SFOPS_PROJECT_DIR"
CONFIG_ARGS = ("config", "--json", "--show-secrets")

_started: dict[tuple[str, Path], subprocess.Popen[str]] = {}


def default_project_dir() -> Path:
    return Path(os.environ.get(PROJECT_DIR_ENV) or REPO)


def pulumi_argv(args: Sequence[str], stack: str) -> list[str] | None:
    """The non-interactive command line, or None when `pulumi` is not on PATH."""
    pulumi = shutil.which("pulumi")
    return None if pulumi is None else [pulumi, *args, "--stack", stack, "--non-interactive"]


def stack_named_in(args: Sequence[str]) -> str | None:
    """The value of a `--stack` among a subcommand's arguments (the last one wins, as in click)."""
    found = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--stack" and index + 1 < len(args):
            found = args[index + 1]
        elif arg.startswith("--stack="):
            found = arg.split("=", 1)[1]
    return found


def start(stack: str, project_dir: Path) -> None:
    argv = pulumi_argv(CONFIG_ARGS, stack)
    if argv is None or (stack, project_dir) in _started:
        return  # the normal read says what is missing
    _started[(stack, project_dir)] = subprocess.Popen(
        argv, cwd=project_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def take(stack: str, project_dir: Path) -> subprocess.CompletedProcess[str] | None:
    """The finished read for this stack and project, if one was started."""
    process = _started.pop((stack, project_dir), None)
    if process is None:
        return None
    stdout, stderr = process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@atexit.register
def _stop_unused() -> None:
    while _started:
        _, process = _started.popitem()
        process.kill()
        process.wait()
