"""What every subcommand shares: the chosen stack's config, API clients, output, exit codes.

The stack config is read the way an operator would read it (`pulumi config --json
--show-secrets --stack NAME`, the CLI that `.envrc` puts on PATH) and validated by the one
loader the Pulumi program uses, `components.stack_config.load_stack_config`. Secret values
stay in memory: nothing here prints or logs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from pathlib import Path

from components.credentials import TOKEN_ENV
from components.http_retry import policy_from_env
from components.netlify.api import NetlifyClient
from components.stack_config import PROJECT, ConfigError, StackConfig, load_stack_config
from scripts.sfops import config_prefetch
from scripts.sfops.config_prefetch import PROJECT_DIR_ENV, REPO, default_project_dir
from scripts.sfops.output import Output

__all__ = ["PROJECT_DIR_ENV", "REPO"]


class Exit(IntEnum):
    """Exit codes of every sfops command (documented in the README)."""

    OK = 0  # everything checked passed / nothing to do
    FAILED = 1  # a check failed: drift found, verify or preflight found a problem, an alert is open
    ERROR = 2  # could not check: bad usage, unreadable config, unreachable API


class SfopsError(Exception):
    """A failure to check at all (exit 2), with a message that names the fix."""

    def __init__(self, message: str, code: Exit = Exit.ERROR) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RawStackConfig:
    values: dict[str, str]  # `soundfactory:key` -> value, secrets in clear
    secret_keys: frozenset[str]

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(f"{PROJECT}:{key}", default)

    def secret_values(self) -> list[str]:
        """Every secret value, for log scrubbing."""
        return [value for key, value in self.values.items() if key in self.secret_keys and value]


def pulumi_executable() -> str:
    """The `pulumi` on PATH (the set-up's build, after `source .envrc`)."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise SfopsError("pulumi is not on PATH: run `make setup && source .envrc` in the repo first")
    return pulumi


def run_pulumi(args: Sequence[str], stack: str, project_dir: Path) -> subprocess.CompletedProcess[str]:
    """One non-interactive `pulumi` command on `stack`, its output captured; the caller reads the exit code."""
    command = config_prefetch.pulumi_argv(args, stack)
    if command is None:
        pulumi_executable()  # raises, naming the fix
        raise AssertionError("unreachable")
    return subprocess.run(command, cwd=project_dir, capture_output=True, text=True, check=False)


def read_stack_config(stack: str, project_dir: Path) -> RawStackConfig:
    prefetched = config_prefetch.take(stack, project_dir)
    process = prefetched or run_pulumi(config_prefetch.CONFIG_ARGS, stack, project_dir)
    if process.returncode != 0:
        detail = process.stderr.strip().splitlines()[-1] if process.stderr.strip() else "no output"
        hint = " (the local stack is created by `make demo`)" if stack == "local" else ""
        raise SfopsError(f"cannot read the config of stack {stack!r}: {detail}{hint}")
    try:
        document = json.loads(process.stdout)
    except ValueError as exc:
        raise SfopsError(f"`pulumi config --json` printed something that is not JSON: {exc}") from exc
    values = {key: str(entry.get("value", "")) for key, entry in document.items()}
    secret = frozenset(key for key, entry in document.items() if entry.get("secret"))
    return RawStackConfig(values, secret)


@dataclass
class AppContext:
    stack: str
    out: Output
    project_dir: Path = field(default_factory=default_project_dir)
    # Tests hand in a config instead of a stack the pulumi CLI can read.
    preloaded: RawStackConfig | None = None

    @cached_property
    def raw_config(self) -> RawStackConfig:
        return self.preloaded or read_stack_config(self.stack, self.project_dir)

    def load_config(self) -> StackConfig:
        """The validated config; raises ConfigError listing every problem."""
        raw = self.raw_config
        return load_stack_config(raw.values, raw.secret_keys)

    @cached_property
    def config(self) -> StackConfig:
        try:
            return self.load_config()
        except ConfigError as exc:
            raise SfopsError(f"stack {self.stack!r}: {exc} (see `sfops preflight`)") from exc

    def netlify_token(self) -> str:
        return self.raw_config.get("netlifyToken") or os.environ.get(TOKEN_ENV, "")

    def netlify_client(self) -> NetlifyClient:
        token = self.netlify_token()
        if not token:
            raise SfopsError(f"no Netlify token: set the secret config netlifyToken or {TOKEN_ENV}")
        try:
            # $SOUNDFACTORY_API_RETRY_ATTEMPTS, as the Pulumi program's providers and `drift` honour it.
            policy = policy_from_env()
        except ValueError as exc:
            raise SfopsError(str(exc)) from None
        return NetlifyClient(self.config.netlify.api_url, token, policy=policy, on_retry=self.out.debug)
