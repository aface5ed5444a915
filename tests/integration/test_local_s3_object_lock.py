"""The local S3 server keeps Object Lock as AWS documents it (local_services/s3/object_lock.py).

Against the real server process: Object Lock turned on for a bucket that already holds backups
(the migration of a stack made before it was the default, through the stack's own write path),
governance bypassed only by a caller allowed s3:BypassGovernanceRetention, compliance never;
and a bucket policy's deletion Deny that leaves AbortMultipartUpload alone, as S3 names the
action (local_services/s3/policy_actions.py).
"""

from __future__ import annotations

import configparser
import datetime
import json
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from components.backups.bucket import read_controls, write_control
from local_services.common.http_server import free_port
from local_services.s3 import s3_service
from local_services.s3.empty_bucket import empty_bucket
from local_services.stack_harness import StackHarness
from local_services.supervisor import RUN_DIR, start, stop
from tests.unit.test_backup_resources import SETTINGS

pytestmark = pytest.mark.integration

MIGRATION_PROGRAM = Path(__file__).parent / "fixtures" / "object_lock_migration"

ALL_S3_BUT_BYPASS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:BypassGovernanceRetention", "Resource": "*"},
    ],
}


@dataclass
class Server:
    url: str
    credentials_file: Path

    def admin_key(self) -> tuple[str, str]:
        parser = configparser.ConfigParser()
        parser.read(self.credentials_file)
        return parser["default"]["aws_access_key_id"], parser["default"]["aws_secret_access_key"]

    def client(self, service: str, key: tuple[str, str] | None = None) -> Any:
        key_id, secret = key or self.admin_key()
        session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name="us-east-1")
        return session.client(service, endpoint_url=self.url)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """The local S3 server alone (no backup host), as `make` starts it."""
    root = RUN_DIR / f"test-lock-{secrets.token_hex(4)}"
    port = free_port()
    service = s3_service(port, root / "s3", run_dir=root, name="s3")
    start(service, say=lambda _: None)
    try:
        yield Server(f"http://127.0.0.1:{port}", root / "s3" / "credentials")
    finally:
        stop(service, say=lambda _: None)
        shutil.rmtree(root, ignore_errors=True)


def _code(call: Any, **kwargs: Any) -> str:
    try:
        call(**kwargs)
    except ClientError as exc:
        return str(exc.response.get("Error", {}).get("Code", ""))
    return "accepted"


def _versioned_bucket(s3: Any) -> str:
    name = f"lock-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _soon() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)


def test_object_lock_turns_on_for_a_bucket_that_already_holds_backups(server: Server) -> None:
    s3 = server.client("s3")
    bucket = _versioned_bucket(s3)
    old = s3.put_object(Bucket=bucket, Key="db/old.dump", Body=b"before the lock")["VersionId"]

    write_control(s3, bucket, "object_lock", {"mode": "GOVERNANCE", "days": 3})

    assert read_controls(s3, bucket)["object_lock"] == {"mode": "GOVERNANCE", "days": 3}
    assert "ObjectLockMode" not in s3.head_object(Bucket=bucket, Key="db/old.dump", VersionId=old)
    new = s3.put_object(Bucket=bucket, Key="db/new.dump", Body=b"after")["VersionId"]
    head = s3.head_object(Bucket=bucket, Key="db/new.dump", VersionId=new)
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)


def test_an_existing_stacks_bucket_gets_object_lock_in_place_on_its_next_up(server: Server, tmp_path: Path) -> None:
    """The real engine and provider: a bucket declared without Object Lock (as every stack's was
    before it became the default), holding backups, is locked by the next `up`, not replaced."""
    admin = server.client("s3")
    name = f"migrate-{secrets.token_hex(4)}"
    harness = StackHarness(tmp_path / "pulumi", program=MIGRATION_PROGRAM, kms=True)
    # A bucket as the unit tests declare one, on the local S3 server: without the two conditional
    # statements moto would apply to every request, as on the local stack.
    settings = replace(
        SETTINGS, name=name, endpoint_url=server.url, deny_insecure_transport=False, require_conditional_writes=False
    )
    harness.set_config(
        {
            "settings": json.dumps(asdict(settings)),
            "backupAwsCredentialsFile": str(server.credentials_file),
            "era": "before-issue-21",
        }
    )
    harness.stack.up(on_output=lambda _: None)
    try:
        assert _code(admin.get_object_lock_configuration, Bucket=name) == "ObjectLockConfigurationNotFoundError"
        old = admin.put_object(Bucket=name, Key="db/old.dump", Body=b"a backup from before")["VersionId"]

        harness.set_config({"era": "today"})
        preview = harness.cli("preview", "--diff")
        assert "replace" not in preview.stdout.lower(), preview.stdout
        assert "object_lock" in preview.stdout, preview.stdout
        harness.stack.up(on_output=lambda _: None)

        assert read_controls(admin, name)["object_lock"] == {"mode": "GOVERNANCE", "days": SETTINGS.object_lock_days}
        assert "ObjectLockMode" not in admin.head_object(Bucket=name, Key="db/old.dump", VersionId=old)
        new = admin.put_object(Bucket=name, Key="db/new.dump", Body=b"a backup from after")["VersionId"]
        assert admin.head_object(Bucket=name, Key="db/new.dump", VersionId=new)["ObjectLockMode"] == "GOVERNANCE"
        harness.stack.preview(refresh=True, expect_no_changes=True, on_output=lambda _: None)
    finally:
        empty_bucket(admin, name)  # the break-glass way out, then destroy finds it empty
        harness.stack.destroy(on_output=lambda _: None)
    assert _code(admin.head_bucket, Bucket=name) in ("404", "NoSuchBucket")


def test_a_version_completed_from_parts_gets_the_default_retention(server: Server) -> None:
    """The backup host uploads each dump in parts: the lock must hold those too."""
    s3 = server.client("s3")
    bucket = _versioned_bucket(s3)
    write_control(s3, bucket, "object_lock", {"mode": "GOVERNANCE", "days": 3})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="db/x.dump")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="db/x.dump", UploadId=upload, PartNumber=1, Body=b"dump")
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="db/x.dump",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    head = s3.head_object(Bucket=bucket, Key="db/x.dump", VersionId=done["VersionId"])
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    assert _code(s3.delete_object, Bucket=bucket, Key="db/x.dump", VersionId=done["VersionId"]) == "AccessDenied"


def test_governance_yields_only_to_a_caller_allowed_to_bypass_it(server: Server) -> None:
    admin = server.client("s3")
    bucket = _versioned_bucket(admin)
    write_control(admin, bucket, "object_lock", {"mode": "GOVERNANCE", "days": 3})
    iam = server.client("iam")
    user = f"no-bypass-{secrets.token_hex(3)}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(ALL_S3_BUT_BYPASS))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    other = server.client("s3", (key["AccessKeyId"], key["SecretAccessKey"]))
    version = admin.put_object(Bucket=bucket, Key="db/x", Body=b"x")["VersionId"]
    target = {"Bucket": bucket, "Key": "db/x", "VersionId": version}
    short = {"Mode": "GOVERNANCE", "RetainUntilDate": _soon()}

    assert _code(other.delete_object, **target) == "AccessDenied"
    assert _code(other.delete_object, **target, BypassGovernanceRetention=True) == "AccessDenied"
    assert _code(other.put_object_retention, **target, Retention=short) == "AccessDenied"
    assert _code(other.put_object_retention, **target, Retention=short, BypassGovernanceRetention=True) == (
        "AccessDenied"
    )
    longer = {"Mode": "GOVERNANCE", "RetainUntilDate": _soon() + datetime.timedelta(days=10)}
    assert _code(other.put_object_retention, **target, Retention=longer) == "accepted", "a lock may always grow"
    assert _code(admin.delete_object, **target) == "AccessDenied", "without the bypass header, not even the admin"
    # The break-glass path: allowed s3:BypassGovernanceRetention, and saying so.
    assert _code(admin.put_object_retention, **target, Retention=short, BypassGovernanceRetention=True) == "accepted"
    assert _code(admin.delete_object, **target, BypassGovernanceRetention=True) == "accepted"
    assert admin.list_object_versions(Bucket=bucket).get("Versions", []) == []


def test_compliance_yields_to_no_one(server: Server) -> None:
    admin = server.client("s3")
    bucket = _versioned_bucket(admin)
    write_control(admin, bucket, "object_lock", {"mode": "COMPLIANCE", "days": 1})
    version = admin.put_object(Bucket=bucket, Key="db/x", Body=b"x")["VersionId"]
    target = {"Bucket": bucket, "Key": "db/x", "VersionId": version}
    for mode in ("COMPLIANCE", "GOVERNANCE"):
        short = {"Mode": mode, "RetainUntilDate": _soon()}
        assert _code(admin.put_object_retention, **target, Retention=short, BypassGovernanceRetention=True) == (
            "AccessDenied"
        )
    assert _code(admin.delete_object, **target, BypassGovernanceRetention=True) == "AccessDenied"


def test_a_deletion_deny_in_the_bucket_policy_leaves_aborting_an_upload_allowed(server: Server) -> None:
    """S3 authorises AbortMultipartUpload as itself, not as s3:DeleteObject: the backups' deletion
    Deny must not keep a writer from aborting its own unfinished upload (moto 5.2.5 refused it)."""
    s3 = server.client("s3")
    bucket = _versioned_bucket(s3)
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    version = s3.put_object(Bucket=bucket, Key="db/kept", Body=b"x")["VersionId"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="db/cut-short")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="db/cut-short", UploadId=upload, PartNumber=1, Body=b"part")

    assert _code(s3.abort_multipart_upload, Bucket=bucket, Key="db/cut-short", UploadId=upload) == "accepted"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # The Deny still holds for what it names, the upload's renaming notwithstanding.
    assert _code(s3.delete_object, Bucket=bucket, Key="db/kept") in ("AccessDenied", "403")
    assert _code(s3.delete_object, Bucket=bucket, Key="db/kept", VersionId=version) in ("AccessDenied", "403")
    assert [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == [version]
