"""Bad backup input fails at preview with a specific message and no call to S3 or the host.

Not `serial`: a preview that fails at check reaches neither server (each test proves it from
its own servers' logs), so these run beside the backup host's tests, in the xdist workers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi import automation as auto

from local_services.stack_harness import quiet
from tests.integration.backup_preview import Setup, preview_setup
from tests.integration.backup_support import DATABASE_URL

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with preview_setup(tmp_path_factory.mktemp("backups-preview")) as configured:
        yield configured


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
