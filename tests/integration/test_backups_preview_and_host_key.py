"""Bad backup input fails at preview with a specific message and no call; a wrong host key fails `up`
before anything reaches the host."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pulumi import automation as auto

from local_services.stack_harness import StackHarness
from tests.integration.backup_support import (
    DATABASE_URL,
    BackupServers,
    backup_servers,
    configured_stack,
    quiet,
    site_emulators,
)

# The backup host's user (and its one crontab) is shared: `make test` runs these modules one at a time.
pytestmark = [pytest.mark.integration, pytest.mark.serial]


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


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("backups-preview")
    with site_emulators(root) as (emulator, stripe), backup_servers() as servers:
        install_dir = f"sf-it-{secrets.token_hex(4)}"
        harness, plain, secret = configured_stack(
            root, servers, emulator, stripe, bucket="sf-it-preview", install_dir=install_dir
        )
        try:
            yield Setup(harness, servers, plain, secret, install_dir)
        finally:
            harness.stack.remove_all_config(list(harness.stack.get_all_config()))
            harness.set_config(plain, secret)
            harness.stack.destroy(on_output=quiet)


BAD_INPUT = [
    ("invalid cron", {"backupSchedule": "0 25 * * *"}, "backupSchedule: '0 25 * * *' is not a valid cron schedule"),
    (
        "retention longer than expiry",
        {"backupObjectLockDays": "40", "backupExpirationDays": "30"},
        "backupObjectLockDays: retention of 40 days is longer than backupExpirationDays (30)",
    ),
    (
        "bucket name S3 rejects",
        {"backupBucket": "Backups_2026"},
        "backupBucket: 'Backups_2026' is a bucket name S3 rejects",
    ),
    ("missing host key", {"backupKnownHostsFile": None}, "backupHostKey: the backup host's key must be pinned"),
    (
        "database url in plain text",
        {"backupDatabaseUrl": DATABASE_URL},
        "backupDatabaseUrl: stored in plain text but must be a secret",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), [(c, e) for _, c, e in BAD_INPUT], ids=[n for n, _, _ in BAD_INPUT])
def test_bad_input_fails_at_preview_without_a_call(setup: Setup, changes: dict[str, str | None], expected: str) -> None:
    setup.configure(changes)
    s3_before, ssh_before = setup.s3_calls(), setup.ssh_sessions()
    with pytest.raises(auto.CommandError) as failed:
        setup.stack.stack.preview(on_output=quiet)
    assert expected in str(failed.value)
    assert setup.s3_calls() == s3_before, "the S3 server was called"
    assert setup.ssh_sessions() == ssh_before, "the host was logged in to"


def _public_key(tmp_path: Path, key_type: str) -> str:
    path = tmp_path / f"other_{key_type}"
    subprocess.run(["ssh-keygen", "-q", "-t", key_type, "-N", "", "-f", str(path)], check=True)
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


@pytest.mark.parametrize(
    ("key_type", "expected"),
    [("ed25519", "host key mismatch for [127.0.0.1]"), ("ecdsa", "host key mismatch for [127.0.0.1]")],
    ids=["changed key", "unknown key type"],
)
def test_a_wrong_host_key_fails_up_before_anything_is_written(
    setup: Setup, tmp_path: Path, key_type: str, expected: str
) -> None:
    setup.configure({"backupKnownHostsFile": None, "backupHostKey": _public_key(tmp_path, key_type)})
    crontab_before, sessions_before = setup.servers.crontab(), setup.ssh_sessions()
    with pytest.raises(auto.CommandError) as failed:
        setup.stack.stack.up(on_output=quiet)
    assert expected in str(failed.value)
    assert "Nothing was written" in str(failed.value)
    # The handshake failed, so no session was opened by the stack (the two below are the test's own).
    assert setup.ssh_sessions() == sessions_before
    assert setup.servers.crontab() == crontab_before
    assert setup.servers.ssh(f"test -e {setup.install_dir}").returncode == 1
