"""`python -m local_services.s3.empty_bucket BUCKET`: the break-glass way out, for the local stack only.

`make demo-down` calls it before `pulumi destroy`, which (rightly) never deletes a bucket
that holds backups. As the local S3 server's administrator it lifts the bucket policy and
deletes every object version past its governance lock. Never for a real bucket: it reads
the local server's admin key from `.local-services/s3/credentials` and talks to loopback only.
"""

from __future__ import annotations

import sys
from typing import Any

import boto3
import botocore.session
from botocore.exceptions import ClientError

from local_services.catalog import S3_PORT
from local_services.s3.server import CREDENTIALS_FILE
from local_services.supervisor import RUN_DIR


def empty_bucket(s3: Any, bucket: str) -> int:
    """As an admin: lift the bucket policy, delete every version past its governance lock, abort uploads."""
    s3.delete_bucket_policy(Bucket=bucket)
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(
                Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"], BypassGovernanceRetention=True
            )
            deleted += 1
    for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    return deleted


def empty_local_bucket(bucket: str) -> int:
    core = botocore.session.Session()
    core.set_config_variable("credentials_file", str(RUN_DIR / "s3" / CREDENTIALS_FILE))
    s3 = boto3.Session(botocore_session=core, region_name="us-east-1").client(
        "s3", endpoint_url=f"http://127.0.0.1:{S3_PORT}"
    )
    try:
        deleted = empty_bucket(s3, bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchBucket", "404"):
            return 0
        raise
    print(f"local S3: emptied {bucket} ({deleted} object versions) for destroy", file=sys.stderr)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m local_services.s3.empty_bucket BUCKET")
    sys.exit(empty_local_bucket(sys.argv[1]))
