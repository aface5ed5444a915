"""A wrong host key fails `up` before anything reaches the host."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from local_services.stack_harness import quiet
from tests.integration.backup_preview import Setup, preview_setup

# The backup host's user (and its one crontab) is shared: `make test` runs these modules one at a time.
pytestmark = [pytest.mark.integration, pytest.mark.serial]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with preview_setup(tmp_path_factory.mktemp("backups-preview")) as configured:
        yield configured


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
