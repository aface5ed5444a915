"""A configured backup stack that has not been brought up, for tests of what preview and `up` refuse."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from components.backups.cron_host import marker_for
from local_services.stack_harness import StackHarness, quiet
from tests.integration.backup_support import BackupServers, backup_servers, configured_stack, site_emulators


@dataclass
class Setup:
    stack: StackHarness
    servers: BackupServers
    plain: dict[str, str]
    secret: dict[str, str]
    install_dir: str

    def configure(self, changes: dict[str, str | None], secret_changes: dict[str, str] | None = None) -> None:
        plain, secret = dict(self.plain), dict(self.secret)
        for key, value in changes.items():
            plain.pop(key, None)
            secret.pop(key, None)
            if value is not None:
                plain[key] = value
        secret |= secret_changes or {}
        self.stack.stack.remove_all_config(list(self.stack.stack.get_all_config()))
        self.stack.set_config(plain, secret)

    def s3_calls(self) -> int:
        return (self.servers.credentials_file.parent.parent / "s3.log").read_text().count('HTTP/1.1"')

    def ssh_sessions(self) -> int:
        return self.servers.sshd_log.read_text().count("Accepted publickey")


@contextmanager
def preview_setup(root: Path) -> Iterator[Setup]:
    """The stack on its own servers; destroyed afterwards if a test's `up` reached the backup host.

    The host is shared (its user's crontab and home); all else the stack creates lives on this
    setup's own S3 server and emulators, which stop with it. The tests' `up`s fail before the
    host (their point), so the destroy, a whole engine run, is only for a run where one did not.
    """
    with site_emulators(root) as (emulator, stripe), backup_servers() as servers:
        install_dir = f"sf-it-{secrets.token_hex(4)}"
        harness, plain, secret = configured_stack(
            root, servers, emulator, stripe, bucket="sf-it-preview", install_dir=install_dir
        )
        try:
            yield Setup(harness, servers, plain, secret, install_dir)
        finally:
            if _reached_host(servers, install_dir):
                harness.stack.remove_all_config(list(harness.stack.get_all_config()))
                harness.set_config(plain, secret)
                harness.stack.destroy(on_output=quiet)


def _reached_host(servers: BackupServers, install_dir: str) -> bool:
    """Whether the stack left its install directory or its crontab line on the backup host."""
    if servers.ssh(f"test -e {install_dir}").returncode == 0:
        return True
    return marker_for(install_dir) in (servers.crontab() or "")
