"""A local S3 (and IAM) server for the backups: moto's server mode, with IAM access control on.

    python -m local_services.s3 --port 18090 --data-dir .local-services/s3

It creates an administrator (an IAM user with an allow-all inline policy) while
authentication is still off, writes its key to `<data-dir>/credentials` (an AWS
shared credentials file, mode 0600), then turns authentication on for every call:
from then on moto checks each request's signature and evaluates the caller's IAM
policies (the backup uploader and restore identities the stack creates), and the
bucket policy's explicit Deny statements on object calls. State is in memory: a
restarted server starts empty (`pulumi up --refresh` recreates the local stack's part).

What moto does not do (so the tests prove these another way): it does not enforce
Block Public Access, never runs lifecycle rules, does not verify checksums, and
ignores policy conditions other than StringEquals (a conditional Deny applies to
every caller, whatever the transport or principal). Where moto is weaker than S3 on
Object Lock (retention calls authorised as plain PutObject, governance shortened or
bypassed by anyone, no lock for a bucket that holds objects), the server applies
`local_services.s3.object_lock` first, which keeps the rules as AWS documents them,
and `local_services.s3.policy_actions`, so that a bucket policy's deletion Deny does not
stop AbortMultipartUpload (moto checks it as s3:DeleteObject).
"""

from local_services.s3.server import ADMIN_USER, CREDENTIALS_FILE, s3_service

__all__ = ["ADMIN_USER", "CREDENTIALS_FILE", "s3_service"]
