"""Issue 21 acceptance: with the uploader's key from the host's env file, history cannot be rewritten.

The uploader writes each backup once (`If-None-Match: *`; moto honours the header). An
attacker's own PUT without the header is refused on AWS by the bucket policy (its exact JSON
is proven in tests/unit/test_backup_resources.py); moto evaluates no policy condition and
lets it through, and there `sfops restore` must notice: a backup whose object or manifest has
a second version is refused (`--list` marks it), and the original restores by version id.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pyrage
import pytest
from botocore.exceptions import ClientError

from scripts.sfops.backup.manifest import manifest_key_for
from scripts.sfops.backup.multipart import MultipartWriter
from tests.integration.test_backup_restore import BUCKET, Rig, _backup, rig

pytestmark = [pytest.mark.integration, pytest.mark.serial]
__all__ = ["rig"]  # the module's own stack, built by the restore tests' fixture

MIB = 1 << 20


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
    manifest_key = _backup(rig)
    manifest = json.loads(rig.admin().get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    s3 = _uploader(rig)

    # The host's own write path (multipart with If-None-Match at completion) over an existing name.
    writer = MultipartWriter(s3, BUCKET, manifest["key"], 5 * MIB)
    writer.write(b"a replacement")
    with pytest.raises(ClientError) as refused:
        writer.complete()
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    # moto authorises AbortMultipartUpload as a deletion, which the bucket policy denies: the
    # unfinished upload is left to the lifecycle's AbortIncompleteMultipartUpload rule.
    with contextlib.suppress(ClientError):
        writer.abort()
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


@pytest.mark.parametrize("what", ["object and manifest", "manifest only"])
def test_a_rewritten_backup_is_refused_and_its_original_restores_by_version_id(rig: Rig, what: str) -> None:
    manifest_key = _backup(rig)
    manifest = json.loads(rig.admin().get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    original_version = _versions(rig, manifest["key"])[0]["VersionId"]
    s3 = _uploader(rig)
    body, forged_manifest = _forged(rig, manifest)
    # What moto lets through (AWS's bucket policy denies a PUT without If-None-Match).
    if what == "object and manifest":
        s3.put_object(Bucket=BUCKET, Key=manifest["key"], Body=body)
    s3.put_object(Bucket=BUCKET, Key=manifest_key, Body=forged_manifest)
    assert len(_versions(rig, manifest_key)) == 2

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
