"""The backups in the bucket: only objects with a manifest count (the manifest is written last)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from scripts.sfops.backup.manifest import MANIFEST_SUFFIX, Manifest, ManifestError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class CatalogError(Exception):
    pass


@dataclass(frozen=True)
class Listing:
    backups: list[Manifest]  # oldest first
    problems: list[str]  # manifests that could not be read (never chosen)


def list_backups(s3: S3Client, bucket: str, prefix: str) -> Listing:
    backups: list[Manifest] = []
    problems: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if not key.endswith(MANIFEST_SUFFIX):
                continue
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read(1 << 20)
            try:
                backups.append(Manifest.from_json(body, key))
            except ManifestError as exc:
                problems.append(str(exc))
    backups.sort(key=lambda m: (m.started, m.key))
    return Listing(backups, problems)


def choose(listing: Listing, *, at: datetime | None = None, key: str | None = None) -> Manifest:
    """The latest backup, the latest started at or before `at`, or the one whose object is `key`."""
    if not listing.backups:
        raise CatalogError("no backups with a manifest in the bucket (a backup without one never finished)")
    if key is not None:
        for manifest in listing.backups:
            if key in (manifest.key, manifest.key.rsplit("/", 1)[-1]):
                return manifest
        raise CatalogError(f"no backup named {key!r} (fix: `sfops restore --list` shows the names)")
    if at is not None:
        earlier = [m for m in listing.backups if m.started <= at]
        if not earlier:
            first = listing.backups[0].started_at
            raise CatalogError(f"no backup started at or before {at.isoformat()} (the oldest is {first})")
        return earlier[-1]
    return listing.backups[-1]
