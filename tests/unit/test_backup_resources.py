"""Pure parts of the backup resources: policies, lifecycle shape, Object Lock refusal, crontab and env file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from components.backups.bucket import LOCK_OFF_MESSAGE, BucketProvider, _flat_rule, canonical_policy, desired_state
from components.backups.config import BucketSettings
from components.backups.cron_host import crontab_line, env_file_content, marker_for, with_our_line
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
    tls, deletion = policy["Statement"]
    assert tls["Effect"] == "Deny"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert tls["Resource"] == ["arn:aws:s3:::sf-backups", "arn:aws:s3:::sf-backups/*"]
    assert deletion["Action"] == ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    assert deletion["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": SETTINGS.break_glass_principal}}


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
