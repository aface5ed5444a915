"""Every version of every backup object and manifest: a backup written twice was rewritten.

The uploader writes each name once (`If-None-Match: *`); on AWS the bucket policy denies any
other write. Where a write gets through anyway (moto evaluates no policy condition, and under
Object Lock a PUT to an existing key still adds a new latest version), the evidence stays in
the bucket: the name has more than one version, or a delete marker. Such a backup is refused
unless the operator names the version to restore; the manifest read is always the first
(original) version of its name, so a forged manifest cannot vouch for a forged object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class Version:
    key: str
    version_id: str
    last_modified: str  # ISO 8601
    size: int
    delete_marker: bool = False


def object_versions(s3: S3Client, bucket: str, prefix: str) -> dict[str, list[Version]]:
    """Each key's versions and delete markers, newest first (S3 lists a key's versions newest first)."""
    found: dict[str, list[Version]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for written in page.get("Versions", []):
            found.setdefault(written["Key"], []).append(_version(written, delete_marker=False))
        for marker in page.get("DeleteMarkers", []):
            found.setdefault(marker["Key"], []).append(_version(marker, delete_marker=True))
    for versions in found.values():
        # Delete markers come in their own list: one order for both, newest first, the listing's
        # own order kept among versions stamped in the same second.
        order = {id(v): n for n, v in enumerate(versions)}
        versions.sort(key=lambda v: (v.last_modified, -order[id(v)]), reverse=True)
    return found


def _version(item: Any, *, delete_marker: bool) -> Version:
    modified = item.get("LastModified")
    return Version(
        key=item["Key"],
        version_id=str(item.get("VersionId") or "null"),
        last_modified=modified.isoformat() if modified is not None else "",
        size=int(item.get("Size", 0) or 0),
        delete_marker=delete_marker,
    )


def original(versions: list[Version]) -> Version | None:
    """The first version written under a name (None: only delete markers)."""
    written = [v for v in versions if not v.delete_marker]
    return written[-1] if written else None


def version_args(version_id: str | None) -> dict[str, Any]:
    """VersionId for a get/head call; "null" (a bucket never versioned) is the current object."""
    return {"VersionId": version_id} if version_id and version_id != "null" else {}


class PinnedObject:
    """An S3 client whose reads of one key are pinned to one version.

    Every reader of the backup object (the hash check, the restore stream) goes through the
    client it is given, so pinning here covers each of them without threading a version id
    through every call.
    """

    def __init__(self, s3: S3Client, key: str, version_id: str) -> None:
        self._s3, self._key, self._version = s3, key, version_id

    def _pinned(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**kwargs, **version_args(self._version)} if kwargs.get("Key") == self._key else kwargs

    def get_object(self, **kwargs: Any) -> Any:
        return self._s3.get_object(**self._pinned(kwargs))

    def head_object(self, **kwargs: Any) -> Any:
        return self._s3.head_object(**self._pinned(kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)
