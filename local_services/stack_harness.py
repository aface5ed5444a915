"""Drives the real Pulumi engine (tests and benchmarks) through the Automation API on a throwaway backend.

Each harness gets its own project directory (symlinks to the program and the
virtualenv plus a copy of Pulumi.yaml), so stack files and state never land in
the repo, and its own file backend and passphrase.

Every CLI start costs ~0.2 s of CPU (0.5 s with `--show-secrets`), and integration tests
run hundreds of engine operations, so the harness starts no command a test did not ask
for: `up`, `refresh` and `destroy` do not read back outputs and history unless asked
(`read_back=True`), and the CLI's version is checked once per process.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pulumi import automation as auto

# The mode `Stack.create` passes: that classmethod builds a plain Stack, not a subclass.
from pulumi.automation._stack import StackInitMode

from local_services.local_kms import local_kms

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = "throwaway-stacks-only"  # noqa: S105 - protects a throwaway backend


@functools.cache
def tools_dir() -> Path:
    out = subprocess.run(
        ["bash", "-c", f"source {REPO}/scripts/lib/toolpaths.sh && sf_tools_dir"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


@functools.cache
def pulumi_command() -> auto.PulumiCommand:
    # Runs `pulumi version` once: a new PulumiCommand per harness ran it for every test.
    return auto.PulumiCommand(root=str(tools_dir()), skip_version_check=True)


def quiet(_: str) -> None:
    """An `on_output` that drops the engine's output (tests read `stdout` from the result)."""
    return None


class NotReadBack:
    """Stands in for what an operation did not read back (its outputs or its history entry)."""

    def __init__(self, what: str) -> None:
        self._what = what

    def _refuse(self, *_args: object) -> NoReturn:
        raise AttributeError(f"{self._what} was not read back: pass read_back=True, or call harness.outputs()")

    __getattr__ = _refuse
    __getitem__ = _refuse
    __iter__ = _refuse
    __len__ = _refuse


class LeanStack(auto.Stack):
    """Automation's Stack, minus the three CLI runs after each `up` (outputs twice, history)
    and the one after `refresh` and `destroy` (history), unless the caller reads them."""

    _reading_back = True

    def up(self, *args: Any, read_back: bool = False, **kwargs: Any) -> auto.UpResult:
        with self._read_back(read_back):
            return super().up(*args, **kwargs)

    def refresh(self, *args: Any, read_back: bool = False, **kwargs: Any) -> auto.RefreshResult:
        with self._read_back(read_back):
            return super().refresh(*args, **kwargs)

    def destroy(self, *args: Any, read_back: bool = False, **kwargs: Any) -> auto.DestroyResult:
        with self._read_back(read_back):
            return super().destroy(*args, **kwargs)

    def outputs(self) -> auto.OutputMap:
        if not self._reading_back:
            return NotReadBack("the outputs")  # type: ignore[return-value]
        return super().outputs()

    def info(self, show_secrets: bool = True) -> auto.UpdateSummary | None:
        if not self._reading_back:
            return NotReadBack("the update summary")  # type: ignore[return-value]
        return super().info(show_secrets)

    @contextmanager
    def _read_back(self, read_back: bool) -> Iterator[None]:
        self._reading_back = read_back
        try:
            yield
        finally:
            self._reading_back = True


@dataclass(frozen=True)
class StackSnapshot:
    """The backend's files and the stack's settings file, copied aside."""

    root: Path


class StackHarness:
    def __init__(self, root: Path, name: str = "it", program: Path | None = None, *, kms: bool = False) -> None:
        """`program`: a directory with its own Pulumi.yaml and __main__.py (default: the real one).
        `kms`: encrypt the stack's secrets with a local KMS key instead of the passphrase (see
        local_services/local_kms.py: ~0.3 s less CPU in every CLI run)."""
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
        secrets_provider = None
        if kms:
            key = local_kms()
            self.env |= key.env
            secrets_provider = key.url
        self.backend = backend
        workspace = auto.LocalWorkspace(
            work_dir=str(self.project_dir),
            env_vars=self.env,
            pulumi_command=pulumi_command(),
            secrets_provider=secrets_provider,
        )
        # A fresh backend has no stack to select: one `stack init` instead of a failing select first.
        self.stack = LeanStack(name, workspace, StackInitMode.CREATE)
        self.settings_file = self.project_dir / f"Pulumi.{name}.yaml"
        self._initial_settings = self.settings_file.read_text(encoding="utf-8")  # the passphrase's salt
        self._project_name: str | None = None
        # (the stack's key, config key, value) -> the ciphertext the CLI wrote for it
        self._ciphertexts: dict[tuple[tuple[str, ...], str, str], str] = {}

    def up(self) -> str:
        """`pulumi up` (Automation raises CommandError unless the update succeeds); what it printed."""
        return self.stack.up(on_output=quiet).stdout

    def set_config(self, plain: Mapping[str, str], secret: Mapping[str, str] | None = None) -> None:
        """What `pulumi config set-all` would write, starting the CLI only for a secret it must encrypt.

        Tests set config hundreds of times a run, each CLI start ~0.3 s of CPU. Plain values go
        into the stack's settings file as the CLI writes them (`<project>:<key>: "<value>"`); a
        secret value this harness had the CLI encrypt before gets that ciphertext again (same
        stack, same key: `encryptedkey`/`encryptionsalt` are part of what it is cached under).
        """
        project = self._project()
        settings = self._read_settings()
        config: dict[str, Any] = settings.get("config") or {}
        key_id = tuple(str(settings.get(name, "")) for name in ("secretsprovider", "encryptedkey", "encryptionsalt"))
        to_encrypt: dict[str, str] = {}
        config.update({f"{project}:{k}": str(v) for k, v in plain.items()})
        for key, value in (secret or {}).items():
            known = self._ciphertexts.get((key_id, key, value))
            if known is None:
                to_encrypt[key] = value
            else:
                config[f"{project}:{key}"] = {"secure": known}
        settings["config"] = config
        self._write_settings(settings)
        if not to_encrypt:
            return
        self.stack.set_all_config({f"{project}:{k}": auto.ConfigValue(v, secret=True) for k, v in to_encrypt.items()})
        written = self._read_settings()["config"]
        for key, value in to_encrypt.items():
            self._ciphertexts[(key_id, key, value)] = written[f"{project}:{key}"]["secure"]

    def _project(self) -> str:
        if self._project_name is None:
            self._project_name = self.stack.workspace.project_settings().name
        return self._project_name

    def _read_settings(self) -> dict[str, Any]:
        loaded = yaml.safe_load(self.settings_file.read_text(encoding="utf-8"))
        return loaded if isinstance(loaded, dict) else {}

    def _write_settings(self, settings: dict[str, Any]) -> None:
        self.settings_file.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")

    def clear_config(self) -> None:
        """No config at all, as after `stack init` (one file write instead of listing and removing each key)."""
        self.settings_file.write_text(self._initial_settings, encoding="utf-8")

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

    def snapshot(self, into: Path) -> StackSnapshot:
        """The stack as it is now (state, history, config), to `restore` before each of many tests."""
        shutil.copytree(self.backend, into / "state")
        shutil.copy2(self.settings_file, into / self.settings_file.name)
        return StackSnapshot(into)

    def restore(self, snapshot: StackSnapshot) -> None:
        shutil.rmtree(self.backend)
        shutil.copytree(snapshot.root / "state", self.backend)
        shutil.copy2(snapshot.root / self.settings_file.name, self.settings_file)

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}
