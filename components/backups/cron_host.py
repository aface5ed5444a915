"""`backups:CronHost`: the backup command, its env file and one crontab line on an existing Linux host.

Over SSH (see `components.backups.ssh`: pinned host key, key from config or agent).
It installs, under `install_dir` (relative to the backup user's home, or absolute):
- `bin/soundfactory-backup`, the command (mode 0700), a wrapper that runs
- `lib/sfops-backup.pyz`, `sfops backup` as a zipapp (`components.backups.host_bundle`);
- `backup.env`, its settings and credentials (mode 0600, owned by the backup user);
- one line in the user's crontab that runs the command with the env file's path,
  tagged with a marker comment so updates and `destroy` touch only that line.

Files are replaced atomically; no secret is ever in a command line, the crontab, a
log or a diff (the env file travels over SFTP and is a secret input; state keeps
only its hash besides the encrypted input). `read` hashes what is on the host, so
`pulumi refresh` names a file or crontab line changed by hand. `delete` removes the
line, the two files and the directories it created (when empty), nothing else.
"""

from __future__ import annotations

import contextlib
import hashlib
import posixpath
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, Resource

from components.backups import host_bundle
from components.backups.ssh import (
    SshTarget,
    connect,
    file_mode,
    make_dirs,
    read_file,
    run,
    write_file_atomically,
)
from components.provider_base import (
    LOOPBACK_NAMES,
    DeclaredProvider,
    computed,
    guard,
    identity,
    lower,
    mutable,
    sorted_list,
    whole_number,
)

if TYPE_CHECKING:
    # Used only in annotations: `components.backups.ssh` imports paramiko when it connects.
    import paramiko

SCRIPT_NAME = "bin/soundfactory-backup"
RUNTIME_NAME = "lib/sfops-backup.pyz"
ENV_NAME = "backup.env"
LOG_NAME = "backup.log"
SCRIPT_MODE = 0o700
RUNTIME_MODE = 0o600
ENV_MODE = 0o600
CHANGED = "<changed on the host>"
AS_DECLARED = "as declared"
MISSING = "<missing on the host>"
WRONG_MODE = "<mode {mode:04o} on the host, not {want:04o}>"


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def marker_for(install_dir: str) -> str:
    return f"soundfactory-infra backup {install_dir}"


def crontab_line(schedule: str, install_dir: str, marker: str) -> str:
    """The cron entry: schedule, the command and the env file's path (never a secret), the marker."""
    base = install_dir if install_dir.startswith("/") else f'"$HOME"/{install_dir}'
    return f"{schedule} {base}/{SCRIPT_NAME} {base}/{ENV_NAME} >>{base}/{LOG_NAME} 2>&1 # {marker}"


def env_file_content(values: dict[str, str]) -> str:
    """KEY='value' lines: readable by sh (`set -a; . file`), systemd and python-dotenv alike."""
    lines = []
    for key, value in values.items():
        if any(c in value for c in "\n\r\0"):
            raise ValueError(f"{key}: a value for the env file contains a line break")
        lines.append(f"{key}='{value.replace(chr(39), chr(39) + chr(92) + chr(39) + chr(39))}'")
    return "\n".join(lines) + "\n"


def _is_ours(line: str, marker: str) -> bool:
    return line.rstrip("\n").endswith(f"# {marker}")


def read_crontab(client: paramiko.SSHClient) -> str | None:
    """The user's crontab, or None when the user has none."""
    status, out, err = run(client, ["crontab", "-l"])
    if status == 0:
        return out
    if "no crontab for" in err:
        return None
    raise RuntimeError(f"crontab -l failed on the backup host: {err.strip() or f'exit {status}'}")


def write_crontab(client: paramiko.SSHClient, content: str | None) -> None:
    """Install `content` (crontab -, from stdin); None or empty removes the crontab (as before our first line)."""
    if not content:
        status, _, err = run(client, ["crontab", "-r"])
        if status != 0 and "no crontab for" not in err:
            raise RuntimeError(f"crontab -r failed on the backup host: {err.strip()}")
        return
    status, _, err = run(client, ["crontab", "-"], stdin=content.encode())
    if status != 0:
        raise RuntimeError(f"crontab - failed on the backup host: {err.strip() or f'exit {status}'}")


def with_our_line(content: str | None, marker: str, line: str | None) -> str | None:
    """Other lines verbatim; ours (by marker) replaced by `line`, or removed when `line` is None."""
    kept = "".join(row for row in (content or "").splitlines(keepends=True) if not _is_ours(row, marker))
    if line is None:
        return kept if content is not None else (kept or None)
    if kept and not kept.endswith("\n"):
        kept += "\n"
    return f"{kept}{line}\n"


def _target(props: dict[str, Any]) -> SshTarget:
    return SshTarget(props["host"], int(props["port"]), props["user"], tuple(props.get("host_keys") or ()))


def _install_path(sftp: paramiko.SFTPClient, install_dir: str) -> str:
    return install_dir if install_dir.startswith("/") else posixpath.join(sftp.normalize("."), install_dir)


def declared_file_state() -> dict[str, str]:
    return {SCRIPT_NAME: AS_DECLARED, RUNTIME_NAME: AS_DECLARED, ENV_NAME: AS_DECLARED}


# (input key, file, mode). The runtime's input is its SHA-256: the bundle is built from the
# repo when it is written, so a preview diff shows a hash, never 30 kB of zip.
FILES = (
    ("script", SCRIPT_NAME, SCRIPT_MODE),
    ("runtime_sha256", RUNTIME_NAME, RUNTIME_MODE),
    ("env_file", ENV_NAME, ENV_MODE),
)


def _content(props: dict[str, Any], key: str) -> bytes | None:
    if key == "runtime_sha256":
        return host_bundle.bundle_bytes() if props.get(key) else None
    value = props.get(key)
    return None if value is None else str(value).encode()


def _declared_sha256(props: dict[str, Any], key: str) -> str:
    return str(props.get(key) or "") if key == "runtime_sha256" else sha256(props.get(key) or "")


def host_name(value: Any) -> Any:
    """One spelling per host: case, and the loopback names (a respelling is no new host)."""
    return "127.0.0.1" if lower(value) in LOOPBACK_NAMES else lower(value)


class CronHostProvider(DeclaredProvider):
    FIELDS = (
        identity("host", normalize=host_name),
        identity("port", normalize=whole_number),
        identity("user"),
        identity("install_dir"),
        identity("marker"),
        # How we check the host, not what is on it: a new pin changes nothing there.
        guard("host_keys", normalize=sorted_list),
        mutable("script"),
        mutable("runtime_sha256"),
        mutable("env_file", secret=True),
        mutable("crontab_line"),
        # What `read` found for each file (plain words, never content), so a hand edit of the
        # secret env file is named in a diff without showing anything of it.
        mutable("file_state"),
        computed("install_path"),
        computed("created_dirs"),
        computed("script_sha256"),
        computed("env_sha256", secret=True),
    )
    DELETE_BEFORE_REPLACE = True  # both touch the same files and crontab line

    def outputs(self, props: dict[str, Any], install_path: str, created: list[str]) -> dict[str, Any]:
        return {
            **self.inputs_of(props),
            "install_path": install_path,
            "created_dirs": created,
            "script_sha256": sha256(props["script"]),
            "env_sha256": sha256(props["env_file"]),
        }

    def _install(self, props: dict[str, Any], olds: dict[str, Any] | None) -> tuple[str, list[str]]:
        with connect(_target(props)) as client, client.open_sftp() as sftp:
            path = _install_path(sftp, props["install_dir"])
            created = make_dirs(sftp, posixpath.join(path, posixpath.dirname(SCRIPT_NAME)))
            created += make_dirs(sftp, posixpath.join(path, posixpath.dirname(RUNTIME_NAME)))
            if olds is not None:
                created = list(olds.get("created_dirs") or []) + created
            found = (olds or {}).get("file_state") or {}
            for key, name, mode in FILES:
                content = _content(props, key)
                if content is None:
                    continue
                if olds is None or olds.get(key) != props[key] or found.get(name) != AS_DECLARED:
                    write_file_atomically(sftp, posixpath.join(path, name), content, mode)
            if olds is None or olds.get("crontab_line") != props["crontab_line"]:
                current = read_crontab(client)
                write_crontab(client, with_our_line(current, props["marker"], props["crontab_line"]))
        return path, created

    def create(self, props: dict[str, Any]) -> CreateResult:
        path, created = self._install(props, None)
        return CreateResult(
            f"{props['user']}@{props['host']}:{props['port']}:{path}", self.outputs(props, path, created)
        )

    def update_remote(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        path, created = self._install(news, olds)
        return self.outputs(news, path, created)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        with connect(_target(props)) as client, client.open_sftp() as sftp:
            current = read_crontab(client)
            if current is not None and any(_is_ours(row, props["marker"]) for row in current.splitlines()):
                write_crontab(client, with_our_line(current, props["marker"], None))
            path = props.get("install_path") or _install_path(sftp, props["install_dir"])
            for name in (SCRIPT_NAME, RUNTIME_NAME, ENV_NAME):
                with contextlib.suppress(FileNotFoundError):
                    sftp.remove(posixpath.join(path, name))
            for directory in reversed(list(props.get("created_dirs") or [])):
                try:
                    sftp.rmdir(directory)
                except OSError:
                    break  # not empty (a log, something of someone else's): leave it and its parents

    def read_remote(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with connect(_target(props)) as client, client.open_sftp() as sftp:
            path = props.get("install_path") or _install_path(sftp, props["install_dir"])
            observed_files: dict[str, str] = {}
            file_state: dict[str, str] = {}
            for key, name, mode in FILES:
                if key not in props:
                    continue  # state written before this file was installed
                full = posixpath.join(path, name)
                data = read_file(sftp, full)
                if data is None:
                    file_state[name] = MISSING
                elif sha256(data) != _declared_sha256(props, key):
                    file_state[name] = CHANGED
                elif (live_mode := file_mode(sftp, full)) != mode:
                    file_state[name] = WRONG_MODE.format(mode=live_mode or 0, want=mode)
                else:
                    file_state[name] = AS_DECLARED
                observed_files[key] = props[key] if file_state[name] == AS_DECLARED else file_state[name]
            current = read_crontab(client)
        ours = [row for row in (current or "").splitlines() if _is_ours(row, props["marker"])]
        if not ours and all(value == MISSING for value in file_state.values()):
            return None  # removed by hand: dropped from state, `up` installs it again
        return {
            **observed_files,
            "crontab_line": "\n".join(ours),
            "file_state": file_state,
            "install_path": path,
        }


class CronHost(Resource, module="backups", name="CronHost"):
    install_path: pulumi.Output[str]
    crontab_line: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        host: str,
        port: int,
        user: str,
        host_keys: list[str],
        install_dir: str,
        schedule: str,
        script: str,
        runtime_sha256: str,
        env_file: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        marker = marker_for(install_dir)
        provider = CronHostProvider
        inputs = {
            "host": host,
            "port": port,
            "user": user,
            "host_keys": host_keys,
            "install_dir": install_dir,
            "marker": marker,
            "script": script,
            "runtime_sha256": runtime_sha256,
            "env_file": env_file,
            "crontab_line": crontab_line(schedule, install_dir, marker),
            "file_state": declared_file_state(),
        }
        super().__init__(provider(), resource_name, provider.declared_inputs(inputs), provider.options(opts))
