"""Issue 21 acceptance: with the uploader's key from the host's env file, history cannot be rewritten.

The uploader writes each backup once (`If-None-Match: *`; moto honours the header). An
attacker's own PUT without the header is refused on AWS by the bucket policy (its exact JSON
is proven in tests/unit/test_backup_resources.py); moto evaluates no policy condition and
lets it through, and there `sfops restore` must notice: a backup whose object or manifest has
a second version is refused (`--list` marks it), and the original restores by version id.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pyrage
import pytest
from botocore.exceptions import ClientError

from scripts.sfops.backup.manifest import manifest_key_for
from scripts.sfops.backup.multipart import MultipartWriter
from tests.integration.backup_restore.restore_rig import BUCKET, Rig, cron_backup

# The rig (conftest.py) is the restore tests' stack, shared: each test here takes its own backup.
pytestmark = [pytest.mark.integration, pytest.mark.serial]

MIB = 1 << 20
EXPIRATION_DAYS = 30  # the stack's backupExpirationDays (tests/integration/backup_support.py), the lock's default
NONCURRENT_DAYS = 5  # its backupNoncurrentDays


def _uploader(rig: Rig) -> Any:
    """An S3 client with the key the host's env file holds (what an attacker on the host has)."""
    env = rig.env_values
    return rig.servers.s3(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])


def _error(call: Callable[..., Any], **kwargs: Any) -> str:
    try:
        call(**kwargs)
    except ClientError as exc:
        return str(exc.response.get("Error", {}).get("Code", ""))
    return "accepted"


def _versions(rig: Rig, key: str) -> list[dict[str, Any]]:
    listed = rig.admin().list_object_versions(Bucket=BUCKET, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


def _forged(rig: Rig, manifest: dict[str, Any]) -> tuple[bytes, bytes]:
    """A 'backup' encrypted to the real recipient, with a manifest whose size and SHA-256 match it."""
    recipient = rig.env_values["BACKUP_RECIPIENT"].split()[0]
    body = pyrage.encrypt(b"an empty database, say", [pyrage.x25519.Recipient.from_str(recipient)])
    forged = {**manifest, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    return body, json.dumps(forged).encode()


def _listed(rig: Rig, key: str) -> dict[str, Any]:
    listed = rig.restore("--json", "restore", "--list")
    assert listed.returncode == 0, listed.stderr
    return next(b for b in json.loads(listed.stdout) if b["key"] == key)


def test_the_uploader_cannot_replace_or_delete_a_backup_with_its_own_write_path(rig: Rig) -> None:
    manifest_key = cron_backup(rig)
    manifest = json.loads(rig.admin().get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    s3 = _uploader(rig)

    # The host's own write path (multipart with If-None-Match at completion) over an existing name.
    writer = MultipartWriter(s3, BUCKET, manifest["key"], 5 * MIB)
    writer.write(b"a replacement")
    with pytest.raises(ClientError) as refused:
        writer.complete()
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    # The refused upload is the writer's to abort: the bucket policy denies deletions, not
    # AbortMultipartUpload (local_services/s3/policy_actions.py).
    writer.abort()
    assert rig.admin().list_multipart_uploads(Bucket=BUCKET, Prefix=manifest["key"]).get("Uploads", []) == []
    _, forged_manifest = _forged(rig, manifest)
    code = _error(s3.put_object, Bucket=BUCKET, Key=manifest_key, Body=forged_manifest, IfNoneMatch="*")
    assert code == "PreconditionFailed"
    assert len(_versions(rig, manifest["key"])) == 1
    assert len(_versions(rig, manifest_key)) == 1

    # Deleting, or hiding under a delete marker: denied to the uploader's key.
    assert _error(s3.delete_object, Bucket=BUCKET, Key=manifest_key) in ("AccessDenied", "403")
    version = _versions(rig, manifest["key"])[0]["VersionId"]
    assert _error(s3.delete_object, Bucket=BUCKET, Key=manifest["key"], VersionId=version) in ("AccessDenied", "403")
    assert _listed(rig, manifest["key"])["rewritten"] is False


def _retention(rig: Rig, key: str, version: str) -> tuple[str, datetime.datetime]:
    """A version's Object Lock, as S3 reports it on HEAD (moto has no GetObjectRetention)."""
    head = rig.admin().head_object(Bucket=BUCKET, Key=key, VersionId=version)
    return str(head.get("ObjectLockMode", "")), head.get("ObjectLockRetainUntilDate") or datetime.datetime.min


def _days_from_now(days: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)


def test_every_backup_version_is_locked_and_neither_key_can_unlock_or_delete_it(rig: Rig) -> None:
    manifest_key = cron_backup(rig)
    manifest = json.loads(rig.admin().get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    held = {key: _versions(rig, key)[0]["VersionId"] for key in (manifest["key"], manifest_key)}
    for key, version in held.items():
        mode, until = _retention(rig, key, version)
        assert mode == "GOVERNANCE", key
        assert until > _days_from_now(EXPIRATION_DAYS - 1), (key, until)

    uploader = _uploader(rig)
    restore = rig.servers.s3(rig.restore_env["AWS_ACCESS_KEY_ID"], rig.restore_env["AWS_SECRET_ACCESS_KEY"])
    soon = _days_from_now(0.001)
    for who, s3 in (("uploader", uploader), ("restore", restore)):
        for key, version in held.items():
            target = {"Bucket": BUCKET, "Key": key, "VersionId": version}
            short = {"Mode": "GOVERNANCE", "RetainUntilDate": soon}
            attempts = {
                "delete, bypassing governance": _error(s3.delete_object, **target, BypassGovernanceRetention=True),
                "shorten the retention": _error(s3.put_object_retention, **target, Retention=short),
                "shorten it, bypassing": _error(
                    s3.put_object_retention, **target, Retention=short, BypassGovernanceRetention=True
                ),
                "remove it by legal hold off": _error(s3.put_object_legal_hold, **target, LegalHold={"Status": "OFF"}),
            }
            # (moto answers a bucket-policy Deny with a bare 403, an IAM or lock refusal with AccessDenied)
            assert set(attempts.values()) <= {"AccessDenied", "403"}, (who, key, attempts)
        # Nor can a key write a backup that locks itself for less (S3 checks s3:PutObjectRetention).
        own = _error(
            s3.put_object,
            Bucket=BUCKET,
            Key=f"{manifest['key']}.{who}-short",
            Body=b"x",
            ObjectLockMode="GOVERNANCE",
            ObjectLockRetainUntilDate=soon,
        )
        assert own == "AccessDenied", who
    for key, version in held.items():
        assert _retention(rig, key, version)[1] > _days_from_now(EXPIRATION_DAYS - 1), "the retention is as it was"

    # The lock itself, not only IAM: an admin allowed everything, with the bucket policy lifted,
    # still cannot delete a version or shorten its retention without bypassing governance.
    with rig.without_bucket_policy() as admin:
        for key, version in held.items():
            target = {"Bucket": BUCKET, "Key": key, "VersionId": version}
            assert _error(admin.delete_object, **target) == "AccessDenied"
            short = {"Mode": "GOVERNANCE", "RetainUntilDate": soon}
            assert _error(admin.put_object_retention, **target, Retention=short) == "AccessDenied"
    assert [v["VersionId"] for v in _versions(rig, manifest["key"])] == [held[manifest["key"]]]


@pytest.mark.parametrize("what", ["object and manifest", "manifest only"])
def test_a_rewritten_backup_is_refused_and_its_original_restores_by_version_id(rig: Rig, what: str) -> None:
    manifest_key = cron_backup(rig)
    manifest = json.loads(rig.admin().get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    original_version = _versions(rig, manifest["key"])[0]["VersionId"]
    s3 = _uploader(rig)
    body, forged_manifest = _forged(rig, manifest)
    # What moto lets through (AWS's bucket policy denies a PUT without If-None-Match).
    if what == "object and manifest":
        s3.put_object(Bucket=BUCKET, Key=manifest["key"], Body=body)
    s3.put_object(Bucket=BUCKET, Key=manifest_key, Body=forged_manifest)
    assert len(_versions(rig, manifest_key)) == 2

    # The original is now a noncurrent version, which the lifecycle deletes backupNoncurrentDays
    # after the rewrite; its retention (backupExpirationDays from its creation) outlasts that, and
    # S3's lifecycle cannot delete a locked version (S3 User Guide, "Object Lock considerations":
    # lifecycle and Object Lock). moto never runs lifecycle: what it can show is the lock on the
    # original, and that a permanent deletion (what NoncurrentVersionExpiration does) is refused.
    originals = {manifest_key: _versions(rig, manifest_key)[-1]["VersionId"], manifest["key"]: original_version}
    for key, version in originals.items():
        mode, until = _retention(rig, key, version)
        assert mode == "GOVERNANCE"
        assert until > _days_from_now(NONCURRENT_DAYS), "the lock outlasts the noncurrent window"
    with rig.without_bucket_policy() as admin:
        assert _error(admin.delete_object, Bucket=BUCKET, Key=manifest["key"], VersionId=original_version) == (
            "AccessDenied"
        )

    entry = _listed(rig, manifest["key"])
    assert entry["rewritten"] is True
    assert entry["sha256"] == manifest["sha256"], "--list shows the manifest as the host wrote it"
    assert original_version in [v["version_id"] for v in entry["versions"]]

    name = manifest["key"].rsplit("/", 1)[-1]
    for args in (("--verify",), ("--verify", "--backup", name)):
        refused = rig.restore("restore", *args)
        assert refused.returncode == 1, refused.stderr
        assert "was rewritten" in refused.stderr, refused.stderr
        assert f"--version-id {original_version}" in refused.stderr, refused.stderr

    restored = rig.restore("--json", "restore", "--verify", "--backup", name, "--version-id", original_version)
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["identical"] is True

    if what == "object and manifest":
        newest = _versions(rig, manifest["key"])[0]["VersionId"]
        assert newest != original_version
        wrong = rig.restore("restore", "--verify", "--backup", name, "--version-id", newest)
        assert wrong.returncode == 1, wrong.stderr
        assert "refusing it" in wrong.stderr, wrong.stderr
    assert manifest_key_for(manifest["key"]) == manifest_key
