"""Size and SHA-256 of the stored object against its manifest, before anything is decrypted.

The object is read once to hash it; the restore then reads the same version again
(pinned by ETag) and hashes it again while it streams, so a change in between is caught too.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from scripts.sfops.backup.manifest import Manifest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK = 1 << 20


class IntegrityError(Exception):
    """The stored backup does not match its manifest: nothing is decrypted or restored."""


class HashingReader:
    """A file-like over an S3 body that hashes and counts what passes through (pyrage reads here)."""

    def __init__(self, body: Any) -> None:
        self._body = body
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data: bytes = self._body.read(n if n and n > 0 else CHUNK)
        self.sha256.update(data)
        self.size += len(data)
        return data


def verify_stored_object(s3: S3Client, bucket: str, manifest: Manifest) -> str:
    """The object's ETag when size and SHA-256 match the manifest; IntegrityError otherwise."""
    try:
        head = s3.head_object(Bucket=bucket, Key=manifest.key)
    except ClientError as exc:
        raise IntegrityError(f"{manifest.key}: the backup object is missing ({exc})") from None
    if head["ContentLength"] != manifest.size:
        raise IntegrityError(
            f"{manifest.key}: {head['ContentLength']} bytes stored, the manifest says {manifest.size} "
            "(a truncated or replaced upload); refusing it"
        )
    etag = head["ETag"]
    reader = HashingReader(s3.get_object(Bucket=bucket, Key=manifest.key, IfMatch=etag)["Body"])
    while reader.read(CHUNK):
        pass
    if reader.size != manifest.size or reader.sha256.hexdigest() != manifest.sha256:
        raise IntegrityError(
            f"{manifest.key}: SHA-256 {reader.sha256.hexdigest()} of the stored bytes does not match the "
            f"manifest's {manifest.sha256} (tampered with, or the manifest belongs to another upload); refusing it"
        )
    return etag
