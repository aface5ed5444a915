"""SSH to the backup host with a pinned host key (paramiko), a connection per provider call.

- The host key is pinned from config: an unknown or different key raises
  `HostKeyRejected` during the handshake, before any command or file transfer.
  There is no auto-add policy anywhere.
- The client key comes from stack config through the credential store
  (`components.credentials`: `backupSshPrivateKey` secret, or `backupSshKeyFile`), else
  from an ssh-agent (SSH_AUTH_SOCK). It lives in process memory, never on the pickled provider.
- Commands carry no secret (they show in `ps` on the host); file contents travel
  over SFTP, and a file is replaced atomically (temporary file, mode set while
  still empty, then posix-rename over the old one).
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import shlex
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components import credentials

if TYPE_CHECKING:
    # paramiko (~0.35 s) is imported by the functions that open a connection or load a key.
    import paramiko

CONNECT_TIMEOUT_S = 15.0


class HostKeyRejected(Exception):
    """The host did not present the pinned key: nothing was sent to it."""


@dataclass(frozen=True)
class SshTarget:
    host: str
    port: int
    user: str
    host_keys: tuple[str, ...]

    @property
    def known_hosts_name(self) -> str:
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


def _private_key(text: str) -> paramiko.PKey:
    import paramiko

    last: Exception | None = None
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            key: paramiko.PKey = key_class.from_private_key(io.StringIO(text))
            return key
        except (paramiko.SSHException, ValueError) as exc:
            last = exc
    raise ValueError(f"the SSH private key from config is not usable: {last}")


def fingerprint(key: paramiko.PKey) -> str:
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _pin(client: paramiko.SSHClient, target: SshTarget) -> None:
    import paramiko

    if not target.host_keys:
        raise HostKeyRejected(f"no pinned host key for {target.known_hosts_name}; refusing to connect")
    for line in target.host_keys:
        key_type, blob = line.split()[:2]
        key = paramiko.PKey.from_type_string(key_type, base64.b64decode(blob))
        client.get_host_keys().add(target.known_hosts_name, key_type, key)


@contextmanager
def connect(target: SshTarget) -> Iterator[paramiko.SSHClient]:
    import paramiko

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    _pin(client, target)
    problems = credentials.ssh_key_problems()
    if problems:
        raise ValueError(f"the SSH key from config cannot be read: {'; '.join(problems)}")
    text = credentials.ssh_private_key() or None
    try:
        client.connect(
            target.host,
            port=target.port,
            username=target.user,
            pkey=_private_key(text) if text else None,
            allow_agent=text is None,
            look_for_keys=False,
            timeout=CONNECT_TIMEOUT_S,
            banner_timeout=CONNECT_TIMEOUT_S,
            auth_timeout=CONNECT_TIMEOUT_S,
        )
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise HostKeyRejected(
            f"host key mismatch for {target.known_hosts_name}: it presented {exc.key.get_name()} "
            f"{fingerprint(exc.key)}, not the pinned key {fingerprint(exc.expected_key)}. Nothing was written. "
            "If the host was rebuilt, check its new key out of band and update backupHostKey."
        ) from None
    except paramiko.SSHException as exc:
        client.close()
        if "not found in known_hosts" in str(exc) or "Unknown server" in str(exc):
            raise HostKeyRejected(
                f"{target.known_hosts_name} presented a host key that is not pinned ({exc}); nothing was written. "
                "Pin the host's key (backupHostKey) after checking it out of band."
            ) from None
        raise
    try:
        yield client
    finally:
        client.close()


def run(client: paramiko.SSHClient, argv: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run a command (no secrets in argv: it is visible in `ps` on the host)."""
    channel = client.get_transport().open_session()  # type: ignore[union-attr]
    try:
        channel.settimeout(60.0)
        channel.exec_command(shlex.join(argv))
        if stdin is not None:
            channel.sendall(stdin)
        channel.shutdown_write()
        out, err = io.BytesIO(), io.BytesIO()
        while True:
            data = channel.recv(65536)
            if not data:
                break
            out.write(data)
        while chunk := channel.recv_stderr(65536):
            err.write(chunk)
        status = channel.recv_exit_status()
        return status, out.getvalue().decode(errors="replace"), err.getvalue().decode(errors="replace")
    finally:
        channel.close()


def read_file(sftp: paramiko.SFTPClient, path: str) -> bytes | None:
    try:
        with sftp.open(path, "rb") as handle:
            return bytes(handle.read())
    except FileNotFoundError:
        return None


def file_mode(sftp: paramiko.SFTPClient, path: str) -> int | None:
    try:
        mode = sftp.stat(path).st_mode
    except FileNotFoundError:
        return None
    return stat.S_IMODE(mode) if mode is not None else None


def write_file_atomically(sftp: paramiko.SFTPClient, path: str, content: bytes, mode: int) -> None:
    """Write a temporary file beside `path` (mode set while it is still empty), then rename it over `path`."""
    directory, _, name = path.rpartition("/")
    temporary = f"{directory}/.{name}.tmp-{secrets.token_hex(6)}"
    try:
        with sftp.open(temporary, "wx") as handle:
            handle.chmod(mode)
            handle.write(content)
            handle.flush()
        sftp.posix_rename(temporary, path)
    except BaseException:
        with suppress(OSError):
            sftp.remove(temporary)
        raise


def make_dirs(sftp: paramiko.SFTPClient, path: str) -> list[str]:
    """mkdir -p over SFTP (mode 0700); returns the directories it created, outermost first."""
    created: list[str] = []
    parts = path.strip("/").split("/")
    current = ""
    for part in parts:
        current = f"{current}/{part}"
        try:
            sftp.stat(current)
        except FileNotFoundError:
            sftp.mkdir(current, 0o700)
            created.append(current)
    return created
