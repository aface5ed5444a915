"""Prepare and run the local sshd (see the package docstring)."""

from __future__ import annotations

import argparse
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from local_services.supervisor import Service, python_module

SSHD = "/usr/sbin/sshd"
ROOT_RUNS_AS = "sfbackup"
HOST_KEY = "host_ed25519"
CLIENT_KEY = "client_ed25519"
KNOWN_HOSTS = "known_hosts"


@dataclass(frozen=True)
class SshdFiles:
    port: int
    user: str
    run_dir: Path  # client side: the client key and known_hosts
    server_dir: Path  # sshd's own: config, host key, authorized_keys, pid

    @property
    def client_key(self) -> Path:
        return self.run_dir / CLIENT_KEY

    @property
    def known_hosts(self) -> Path:
        return self.run_dir / KNOWN_HOSTS

    @property
    def config(self) -> Path:
        return self.server_dir / "sshd_config"

    def host_key_line(self) -> str:
        """'ssh-ed25519 AAAA...' of the host key (what `backupHostKey` pins)."""
        return " ".join((self.server_dir / f"{HOST_KEY}.pub").read_text().split()[:2])


def backup_user() -> str:
    """Who the local sshd runs as, and so the only user it can log in."""
    return ROOT_RUNS_AS if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name


def sshd_service(port: int, run_dir: Path, service_dir: Path | None = None, name: str = "sshd") -> Service:
    return Service(
        name=name,
        argv=python_module("local_services.sshd", "--port", str(port), "--run-dir", str(run_dir)),
        health_url=f"ssh://127.0.0.1:{port}",
        env={},
        run_dir=service_dir or run_dir.parent,
    )


def strict_modes_problem(directory: Path, uid: int) -> str | None:
    """Why sshd's StrictModes (or the user's access) would refuse files under `directory`, or None."""
    for parent in [directory, *directory.parents]:
        if not parent.exists():
            continue
        info = parent.stat()
        if info.st_uid not in (0, uid):
            return f"{parent} is owned by uid {info.st_uid}"
        if info.st_mode & 0o022:
            return f"{parent} is group- or world-writable (mode {stat.S_IMODE(info.st_mode):o})"
        if info.st_uid != uid and not info.st_mode & 0o001:
            return f"{parent} cannot be entered by uid {uid}"
    return None


def _server_dir(run_dir: Path, user: pwd.struct_passwd) -> Path:
    preferred = run_dir / "server"
    if strict_modes_problem(preferred, user.pw_uid) is None:
        return preferred
    # The clone sits somewhere StrictModes refuses (under /tmp, say): keep sshd's files in the user's home.
    digest = hashlib.sha256(str(run_dir).encode()).hexdigest()[:12]
    return Path(user.pw_dir) / ".cache" / "soundfactory-sshd" / digest


def _keygen(path: Path, comment: str) -> None:
    if not path.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
            check=True,
            stdin=subprocess.DEVNULL,
        )


def _chown_tree(top: Path, stop_at: Path, user: pwd.struct_passwd) -> None:
    """Give `top` and the directories between it and `stop_at` to the user (they were made by root)."""
    for path in [top, *top.parents]:
        if path == stop_at or not str(path).startswith(str(stop_at)):
            break
        os.chown(path, user.pw_uid, user.pw_gid)


def prepare(port: int, run_dir: Path) -> SshdFiles:
    """Generate (once) and write everything sshd and its clients need; returns where it all is."""
    name = backup_user()
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        raise SystemExit(f"local sshd: user {name} does not exist; run 'make setup' (it creates it)") from None
    if not Path(SSHD).exists() or shutil.which("ssh-keygen") is None:
        raise SystemExit("local sshd: OpenSSH's sshd is not installed; run 'make setup' (it installs openssh-server)")
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o711)  # the sshd user may pass through to its server directory, not list or read
    server = _server_dir(run_dir, user)
    server.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.geteuid() == 0:
        _chown_tree(server, run_dir if server.is_relative_to(run_dir) else Path(user.pw_dir), user)
    if problem := strict_modes_problem(server, user.pw_uid):
        raise SystemExit(f"local sshd: StrictModes would refuse {server}: {problem}")

    _keygen(server / HOST_KEY, "soundfactory local backup host")
    _keygen(run_dir / CLIENT_KEY, "soundfactory local stack")
    (server / "authorized_keys").write_text((run_dir / f"{CLIENT_KEY}.pub").read_text())
    files = SshdFiles(port, name, run_dir, server)
    files.config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {server / HOST_KEY}",
                f"PidFile {server / 'sshd.pid'}",
                f"AuthorizedKeysFile {server / 'authorized_keys'}",
                f"AllowUsers {name}",
                "StrictModes yes",
                "UsePAM no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin no",
                "AllowTcpForwarding no",
                "X11Forwarding no",
                "PrintMotd no",
                "LogLevel INFO",
                "Subsystem sftp internal-sftp",
                "",
            ]
        )
    )
    files.known_hosts.write_text(f"[127.0.0.1]:{port} {files.host_key_line()}\n")
    if os.geteuid() == 0:
        for path in server.iterdir():
            os.chown(path, user.pw_uid, user.pw_gid)
    return files


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_services.sshd", description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="loopback port to listen on")
    parser.add_argument("--run-dir", type=Path, required=True, help="where the client key and known_hosts go")
    args = parser.parse_args(argv)
    files = prepare(args.port, args.run_dir)
    command = [SSHD, "-D", "-e", "-f", str(files.config)]
    if os.geteuid() == 0:
        command = ["setpriv", f"--reuid={files.user}", f"--regid={files.user}", "--init-groups", *command]
    print(f"local sshd on 127.0.0.1:{files.port} as {files.user}; server files in {files.server_dir}", flush=True)
    os.execvp(command[0], command)  # noqa: S606 - replaces this process: the supervisor's pid is sshd's
