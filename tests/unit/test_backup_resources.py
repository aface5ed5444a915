"""Pure parts of the backup resources: policies, lifecycle shape, Object Lock refusal, crontab and env file."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components.backups.bucket import (
    LOCK_ACTIONS as BUCKET_LOCK_ACTIONS,
)
from components.backups.bucket import (
    LOCK_OFF_MESSAGE,
    BucketProvider,
    _flat_rule,
    canonical_policy,
    desired_state,
    log_bucket_state,
    write_control,
)
from components.backups.config import BucketSettings
from components.backups.cron_host import crontab_line, env_file_content, marker_for, others, with_our_line
from components.backups.identities import restore_policy, uploader_policy

SETTINGS = BucketSettings(
    name="sf-backups",
    endpoint_url="https://s3.amazonaws.com",
    iam_endpoint_url=None,
    region="us-east-1",
    kms_key_id=None,
    break_glass_principal="arn:aws:iam::123456789012:role/break-glass",
    expiration_days=35,
    noncurrent_days=7,
    abort_multipart_days=1,
    object_lock_mode="GOVERNANCE",
    object_lock_days=14,
    deny_insecure_transport=True,
    prefix="db/",
)


def test_policy_denies_plain_http_and_deletion_by_anyone_but_break_glass() -> None:
    policy = json.loads(desired_state(SETTINGS)["policy"])
    _write_once, tls, _lock, deletion = policy["Statement"]
    assert tls["Effect"] == "Deny"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert tls["Resource"] == ["arn:aws:s3:::sf-backups", "arn:aws:s3:::sf-backups/*"]
    assert deletion["Action"] == ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    assert deletion["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": SETTINGS.break_glass_principal}}


def tls_only(bucket: str) -> dict[str, Any]:
    """The TLS-only statement (FSBP S3.5) as AWS documents it, for one bucket."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


# The bucket policy a prod stack sends to AWS, written out by hand from the S3 User Guide
# ("Enforce conditional writes", "Bucket policy examples": aws:SecureTransport): moto evaluates
# neither condition, so this exact document is the proof for AWS.
PROD_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyOverwritingBackups",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::sf-backups/db/*",
            "Condition": {
                "Null": {"s3:if-none-match": "true"},
                "Bool": {"s3:ObjectCreationOperation": "true"},
            },
        },
        tls_only("sf-backups"),
        # Object Lock stays as set (S3 User Guide, "Object Lock considerations": bypassing
        # governance needs s3:BypassGovernanceRetention; a retention or legal hold its own action).
        {
            "Sid": "DenyLockChangesExceptBreakGlass",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:BypassGovernanceRetention", "s3:PutObjectLegalHold", "s3:PutObjectRetention"],
            "Resource": "arn:aws:s3:::sf-backups/*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/break-glass"}},
        },
        {
            "Sid": "DenyObjectDeletionExceptBreakGlass",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            "Resource": "arn:aws:s3:::sf-backups/*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/break-glass"}},
        },
    ],
}


def test_prod_policy_is_write_once_and_tls_only_exactly() -> None:
    assert json.loads(desired_state(SETTINGS)["policy"]) == PROD_POLICY


def test_access_logs_go_to_the_stacks_own_bucket_which_only_log_delivery_for_this_bucket_may_write() -> None:
    settings = replace(SETTINGS, log_bucket="sf-backups-logs")
    assert desired_state(settings)["logging"] == {"target_bucket": "sf-backups-logs", "target_prefix": "s3-access/"}
    logs = log_bucket_state(settings)
    assert (logs["bucket"], logs["ownership"], logs["object_lock"]) == (
        "sf-backups-logs",
        "BucketOwnerEnforced",
        {"mode": "", "days": 0},
    )
    assert logs["encryption"] == {"algorithm": "AES256", "kms_key_id": ""}  # the only one log delivery supports
    assert logs["logging"] == {"target_bucket": "", "target_prefix": ""}
    assert json.loads(logs["policy"])["Statement"] == [
        tls_only("sf-backups-logs"),
        {
            "Sid": "S3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::sf-backups-logs/s3-access/*",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::sf-backups"}},
        },
    ]


def test_local_policy_leaves_out_only_the_conditions_moto_cannot_evaluate() -> None:
    local = replace(SETTINGS, deny_insecure_transport=False, require_conditional_writes=False)
    sids = [s["Sid"] for s in json.loads(desired_state(local)["policy"])["Statement"]]
    assert sids == ["DenyLockChangesExceptBreakGlass", "DenyObjectDeletionExceptBreakGlass"]


def test_canonical_policy_ignores_spelling_not_meaning() -> None:
    one = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:X", "Principal": "*"}]}
    other = {"Statement": {"Principal": "*", "Action": ["s3:X"], "Effect": "Deny"}, "Version": "2012-10-17"}
    assert canonical_policy(one) == canonical_policy(other)
    assert canonical_policy(one) != canonical_policy({**one, "Statement": [{"Effect": "Allow", "Action": "s3:X"}]})


def test_lifecycle_read_back_keeps_what_we_do_not_declare() -> None:
    rule = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 3}, "Transitions": [1]}
    flat = _flat_rule(rule)
    assert flat["expiration_days"] == 3
    assert json.loads(flat["other"]) == {"Transitions": [1]}


def test_turning_object_lock_off_is_refused_in_check() -> None:
    olds = desired_state(SETTINGS)
    news = {**olds, "object_lock": {"mode": "", "days": 0}}
    result = BucketProvider().check(olds, news)
    assert [f.property for f in result.failures] == ["object_lock"]
    assert result.failures[0].reason.startswith(LOCK_OFF_MESSAGE.split("{", 1)[0])
    assert BucketProvider().check({}, news).failures == []  # a new bucket without it is fine


def test_identities_are_least_privilege() -> None:
    (put,) = uploader_policy("b", "db/")["Statement"]
    assert put["Action"] == ["s3:PutObject", "s3:AbortMultipartUpload"]
    assert put["Resource"] == "arn:aws:s3:::b/db/*"
    read, listing = restore_policy("b", "db/")["Statement"]
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert read["Resource"] == "arn:aws:s3:::b/db/*"  # the backups, not the whole bucket
    assert listing["Action"] == ["s3:ListBucket", "s3:ListBucketVersions"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["db/", "db/*"]}}
    whole_bucket = restore_policy("b", "")["Statement"]
    assert whole_bucket[0]["Resource"] == "arn:aws:s3:::b/*"
    assert "Condition" not in whole_bucket[1]


def test_neither_identity_may_touch_object_lock() -> None:
    """No retention, legal hold or governance bypass (nor a wildcard that would include them) for
    the uploader or the restore identity, with or without a KMS key; the bucket policy denies them too."""
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    for policy in (uploader_policy("b", "db/"), restore_policy("b", "db/"), uploader_policy("b", "db/", key)):
        actions = [
            a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        ]
        assert not [a for a in actions if "*" in a or "Retention" in a or "LegalHold" in a], actions
    policy = json.loads(desired_state(SETTINGS)["policy"])
    lock = next(s for s in policy["Statement"] if s["Sid"] == "DenyLockChangesExceptBreakGlass")
    assert lock["Action"] == sorted(BUCKET_LOCK_ACTIONS)


def test_with_a_kms_key_each_identity_gets_exactly_its_kms_actions_on_the_key_arn() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    uploader_kms = uploader_policy("b", "db/", key)["Statement"][-1]
    restore_kms = restore_policy("b", "db/", key)["Statement"][-1]
    assert uploader_kms == {
        "Sid": "UseBackupKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": key,
    }
    assert restore_kms == {"Sid": "UseBackupKey", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": key}
    assert len(uploader_policy("b", "db/")["Statement"]) == 1  # SSE-S3: no KMS statement at all


def test_crontab_edits_touch_only_our_line() -> None:
    marker = marker_for("soundfactory-backup")
    line = crontab_line("0 2 * * *", "soundfactory-backup", marker)
    assert line.endswith(f"# {marker}")
    assert ".env" in line
    other = "# m h dom mon dow command\n5 * * * * /usr/bin/other\n"
    installed = with_our_line(other, marker, line)
    assert installed == other + line + "\n"
    assert with_our_line(installed, marker, line.replace("0 2", "0 3")) == other + line.replace("0 2", "0 3") + "\n"
    assert with_our_line(installed, marker, None) == other
    assert with_our_line(None, marker, line) == line + "\n"
    assert with_our_line(line + "\n", marker, None) == ""  # -> crontab -r: no crontab, as before


def test_absolute_install_dir_is_used_as_is() -> None:
    assert "/srv/backup/bin/soundfactory-backup /srv/backup/backup.env" in crontab_line("0 2 * * *", "/srv/backup", "m")


def test_env_file_reads_back_exactly_in_sh(tmp_path: Path) -> None:
    values = {"PLAIN": "abc", "QUOTE": 'it\'s $HOME `x` "y" \\z', "EMPTYISH": " "}
    path = tmp_path / "backup.env"
    path.write_text(env_file_content(values))
    for key, value in values.items():
        shown = subprocess.run(
            ["sh", "-c", f'set -a; . "$1"; printf %s "${key}"', "sh", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert shown.stdout == value


def test_other_crontab_entries_are_everything_but_ours_comments_and_blanks() -> None:
    marker = marker_for("sf")
    ours = crontab_line("0 2 * * *", "sf", marker)
    content = f"# a comment\nMAILTO=ops@example.com\n\n17 4 * * * echo theirs\n{ours}\n"
    assert others(content, marker) == ["MAILTO=ops@example.com", "17 4 * * * echo theirs"]
    assert others(None, marker) == []


def test_an_s3_server_that_cannot_lock_an_existing_bucket_is_named_with_the_way_out() -> None:
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    with Stubber(client) as stub:
        # What moto 5.2.5 answers for a bucket that holds objects (AWS accepts it).
        stub.add_client_error("put_object_lock_configuration", "InvalidBucket", "Bucket needs to be empty", 400)
        with pytest.raises(RuntimeError) as refused:
            write_control(client, "sf-backups", "object_lock", {"mode": "GOVERNANCE", "days": 35})
    message = str(refused.value)
    assert "refuses to turn Object Lock on for an existing bucket (Bucket needs to be empty)" in message
    assert "make services-down && make services-up" in message
    assert "a new backupBucket name" in message


def test_a_bucket_made_before_object_lock_was_the_default_gets_it_in_place() -> None:
    """An existing stack's bucket (state without a lock) is updated, never replaced: S3 turns
    Object Lock on for an existing versioned bucket, and a replacement would strand its backups."""
    news = desired_state(SETTINGS)
    olds = {**news, "object_lock": {"mode": "", "days": 0}, "arn": "arn:aws:s3:::sf-backups"}
    assert BucketProvider().check(olds, news).failures == []
    diff = BucketProvider().diff("sf-backups", olds, news)
    assert diff.changes
    assert not diff.replaces
