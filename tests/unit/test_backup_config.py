"""The backups config section: a valid one parses; each kind of bad input names the key and the fix."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from components.backups.config import BackupConfig, parse_backup_config
from components.backups.validation import age_recipient, age_recipient_problem, cron_problem
from components.stack_config import ConfigError, load_stack_config
from tests.unit.test_stack_config import VALID


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("keys")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "id")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "host")], check=True)
    host_key = " ".join((root / "host.pub").read_text().split()[:2])
    (root / "known_hosts").write_text(f"[127.0.0.1]:2222 {host_key}\n")
    return {"key_file": str(root / "id"), "host_key": host_key, "known_hosts": str(root / "known_hosts")}


def base(keys: dict[str, str]) -> dict[str, str]:
    return {
        "backupsEnabled": "true",
        "backupBucket": "soundfactory-backups",
        "backupBreakGlassPrincipal": "arn:aws:iam::123456789012:role/break-glass",
        "backupDatabaseUrl": "postgresql://backup:pw@db.example.com:5432/postgres",
        "backupRecipient": age_recipient(bytes(32)),
        "backupHost": "backup.example.com",
        "backupHostUser": "backup",
        "backupHostKey": keys["host_key"],
        "backupSshKeyFile": keys["key_file"],
    }


def parse(values: dict[str, str]) -> tuple[BackupConfig | None, list[str]]:
    problems: list[str] = []
    return parse_backup_config(values, problems, "prod"), problems


def test_backups_are_off_unless_enabled() -> None:
    assert parse({})[0] is None
    assert load_stack_config(VALID).backups is None


def test_a_valid_section_parses_with_secure_defaults(keys: dict[str, str]) -> None:
    config, problems = parse(base(keys))
    assert problems == []
    assert config is not None
    assert config.bucket.endpoint_url == "https://s3.amazonaws.com"
    assert config.bucket.iam_endpoint_url is None
    assert config.bucket.kms_key_id is None
    assert config.bucket.deny_insecure_transport is True
    # Object Lock on every stack: governance, each version held for all of its current life.
    assert (config.bucket.object_lock_mode, config.bucket.object_lock_days) == ("GOVERNANCE", 35)
    assert (config.bucket.expiration_days, config.bucket.noncurrent_days, config.bucket.abort_multipart_days) == (
        35,
        7,
        1,
    )
    assert config.host.schedule == "0 2 * * *"
    assert config.host.port == 22
    assert config.host.host_keys == (keys["host_key"],)


def test_known_hosts_file_pins_the_key_for_host_and_port(keys: dict[str, str]) -> None:
    values = {**base(keys), "backupHostKey": "", "backupKnownHostsFile": keys["known_hosts"]}
    config, problems = parse({**values, "backupHost": "127.0.0.1", "backupHostPort": "2222"})
    assert problems == []
    assert config is not None
    assert config.host.host_keys == (keys["host_key"],)
    _, problems = parse({**values, "backupHost": "127.0.0.1", "backupHostPort": "2223"})
    assert any("has no key for [127.0.0.1]:2223" in p for p in problems)


def test_object_lock_and_kms_parse(keys: dict[str, str]) -> None:
    config, problems = parse(
        {
            **base(keys),
            "backupObjectLockMode": "Compliance",
            "backupObjectLockDays": "30",
            "backupKmsKeyId": KEY_ARN,
        }
    )
    assert problems == []
    assert config is not None
    assert (config.bucket.object_lock_mode, config.bucket.object_lock_days) == ("COMPLIANCE", 30)
    assert config.bucket.kms_key_id == KEY_ARN


def test_object_lock_retention_sits_between_the_alert_margin_and_the_expiry(keys: dict[str, str]) -> None:
    """The floor follows backupFreshnessHours and backupExpiryMarginDays; the default follows the expiry."""
    config, problems = parse({**base(keys), "backupObjectLockDays": "16"})
    assert config is not None, problems
    assert config.bucket.object_lock_days == 16
    config, problems = parse({**base(keys), "backupObjectLockDays": "16", "backupExpiryMarginDays": "20"})
    assert config is None
    (problem,) = problems
    assert problem.startswith("backupObjectLockDays: retention of 16 days ends before backupFreshnessHours")
    assert "(fix: pulumi config set backupObjectLockDays 22, or rm it" in problem
    for unset in ("", "0"):  # 0 is the schema's default: the expiry
        config, problems = parse({**base(keys), "backupExpirationDays": "50", "backupObjectLockDays": unset})
        assert config is not None, problems
        assert config.bucket.object_lock_days == 50


def test_compliance_is_refused_where_the_stack_is_a_local_or_test_one(keys: dict[str, str]) -> None:
    problems: list[str] = []
    values = {**base(keys), "backupObjectLockMode": "compliance"}
    assert parse_backup_config(values, problems, "local") is None
    assert any(p.startswith("backupObjectLockMode: compliance on a local or test stack") for p in problems), problems
    problems = []
    loopback = {**values, "s3EndpointUrl": "http://127.0.0.1:18090"}
    assert parse_backup_config(loopback, problems, "it") is None
    assert any("compliance cannot be bypassed" in p for p in problems), problems
    config, problems = parse(values)  # prod on AWS: the operator's choice (warned at preview)
    assert config is not None, problems
    assert config.bucket.object_lock_mode == "COMPLIANCE"


KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


BAD: list[tuple[str, dict[str, str], str]] = [
    ("hour out of range", {"backupSchedule": "0 24 * * *"}, "backupSchedule: '0 24 * * *' is not a valid cron"),
    ("four fields", {"backupSchedule": "0 2 * *"}, "expected 5 fields"),
    ("macro", {"backupSchedule": "@daily"}, "backupSchedule: '@daily' is not a valid cron schedule"),
    (
        "retention over expiry",
        {"backupObjectLockMode": "governance", "backupObjectLockDays": "60"},
        "backupObjectLockDays: retention of 60 days is longer than backupExpirationDays (35)",
    ),
    (
        "retention inside the alert margin",
        {"backupObjectLockDays": "7"},
        "backupObjectLockDays: retention of 7 days ends before backupFreshnessHours plus backupExpiryMarginDays "
        "(16 days): someone with the uploader's key could rewrite the last backup",
    ),
    ("unknown lock mode", {"backupObjectLockMode": "legal-hold"}, "is not an Object Lock mode"),
    ("lock turned off", {"backupObjectLockMode": "off"}, "Object Lock is on for every stack"),
    ("negative retention", {"backupObjectLockDays": "-3"}, "backupObjectLockDays: '-3' must be a whole number"),
    ("uppercase bucket", {"backupBucket": "SoundFactory"}, "backupBucket: 'SoundFactory' is a bucket name S3 rejects"),
    ("ip bucket", {"backupBucket": "192.168.1.1"}, "cannot look like an IP address"),
    ("reserved suffix", {"backupBucket": "backups-s3alias"}, "S3 reserves"),
    ("no host key", {"backupHostKey": ""}, "backupHostKey: the backup host's key must be pinned"),
    ("garbled host key", {"backupHostKey": "ssh-ed25519 AAAA!!"}, "backupHostKey: the key is not valid base64"),
    ("bad break-glass", {"backupBreakGlassPrincipal": "admin"}, "backupBreakGlassPrincipal: 'admin' is not an IAM"),
    ("bad recipient", {"backupRecipient": "age1" + "q" * 58}, "backupRecipient: the age public key's checksum"),
    ("root user", {"backupHostUser": "root"}, "must not run as root"),
    ("missing key file", {"backupSshKeyFile": "/nonexistent/id"}, "backupSshKeyFile: /nonexistent/id does not exist"),
    ("not postgres", {"backupDatabaseUrl": "mysql://x@y/z"}, "backupDatabaseUrl: expected a postgresql://"),
    ("bad kms key", {"backupKmsKeyId": "my key"}, "backupKmsKeyId: 'my key' is not a KMS key id"),
    ("kms alias", {"backupKmsKeyId": "alias/backups"}, "backupKmsKeyId: 'alias/backups' is an alias or a bare key id"),
    (
        "kms alias arn",
        {"backupKmsKeyId": "arn:aws:kms:us-east-1:123456789012:alias/backups"},
        "is an alias or a bare key id; the identities' KMS permissions need the key's ARN",
    ),
    ("bad prefix", {"backupPrefix": "db"}, "backupPrefix: 'db' must be one or more path segments"),
    ("install dir escapes", {"backupInstallDir": "../etc"}, "backupInstallDir: '../etc' must be a plain path"),
    ("port out of range", {"backupHostPort": "70000"}, "backupHostPort: '70000' must be a whole number"),
    (
        "expiry inside the alert margin",
        {"backupExpirationDays": "15"},
        "backupExpirationDays: 15 days would expire the last backup 334 h after backupFreshnessHours (26 h) "
        "alerts, inside backupExpiryMarginDays (14 days)",
    ),
    (
        "prod hears nothing",
        {"backupFreshnessProbe": "false"},
        "backupHealthcheckUrl: prod needs a way to hear that backups stopped",
    ),
]


def test_expiry_follows_the_freshness_threshold_and_margin(keys: dict[str, str]) -> None:
    config, problems = parse({**base(keys), "backupExpirationDays": "16"})
    assert config is not None, problems  # 26 h + 14 days fit in 16 days
    config, problems = parse({**base(keys), "backupExpirationDays": "16", "backupFreshnessHours": "49"})
    assert config is None
    assert "fix: pulumi config set backupExpirationDays 17" in problems[0]
    config, problems = parse({**base(keys), "backupFreshnessProbe": "false", "backupHealthcheckUrl": "https://hc.io/x"})
    assert config is not None, problems


@pytest.mark.parametrize(("changes", "expected"), [(c, e) for _, c, e in BAD], ids=[n for n, _, _ in BAD])
def test_bad_input_names_the_key(keys: dict[str, str], changes: dict[str, str], expected: str) -> None:
    config, problems = parse({**base(keys), **changes})
    assert config is None
    assert any(expected in problem for problem in problems), problems


def test_every_problem_at_once_through_the_stack_loader(keys: dict[str, str]) -> None:
    raw = {**VALID, **{f"soundfactory:{k}": v for k, v in base(keys).items()}}
    raw |= {"soundfactory:backupSchedule": "61 * * * *", "soundfactory:backupBucket": "x"}
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw, stack_name="prod")
    # (VALID is a test-mode config, so prod's Stripe checks add their own problems.)
    backup_problems = [p.split(":")[0] for p in caught.value.problems if p.startswith("backup")]
    assert backup_problems == ["backupBucket", "backupSchedule"]


def test_secrets_must_be_stored_encrypted(keys: dict[str, str]) -> None:
    raw = {**VALID, **{f"soundfactory:{k}": v for k, v in base(keys).items()}}
    encrypted = [f"soundfactory:{k}" for k in ("supabaseAnonKey", "supabaseServiceRoleKey", "twilioAuthToken")]
    encrypted.append("soundfactory:stripeSecretKey")
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw, encrypted)
    assert caught.value.problems == [
        "backupDatabaseUrl: stored in plain text but must be a secret "
        "(fix: pulumi config rm backupDatabaseUrl && pulumi config set --secret backupDatabaseUrl)"
    ]
    config = load_stack_config(raw, [*encrypted, "soundfactory:backupDatabaseUrl"])
    assert config.backups is not None


def test_local_stack_hints_at_make_when_generated_files_are_missing(tmp_path: Path, keys: dict[str, str]) -> None:
    problems: list[str] = []
    values = {**base(keys), "backupHostKey": "", "backupKnownHostsFile": str(tmp_path / "none")}
    parse_backup_config(values, problems, "local")
    assert any("make services-up" in p for p in problems), problems


@pytest.mark.parametrize(
    "expression", ["0 2 * * *", "*/15 * * * *", "0 1-5/2 * * mon-fri", "30 3 1,15 jan,jul 0", "0 0 * * 7"]
)
def test_valid_cron_expressions(expression: str) -> None:
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    "expression", ["60 * * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "a b c d e"]
)
def test_invalid_cron_expressions(expression: str) -> None:
    assert cron_problem(expression) is not None


def test_age_recipients_round_trip() -> None:
    recipient = age_recipient(bytes(range(32)))
    assert age_recipient_problem(recipient) is None
    assert age_recipient_problem(recipient[:-1] + ("q" if recipient[-1] != "q" else "p")) is not None
