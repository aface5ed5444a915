"""Object Lock on the local S3 server as AWS documents it, where moto 5.2.5 is weaker.

The backups rely on four rules of S3 Object Lock that moto (read in `moto/s3/responses.py` and
`moto/s3/models.py`, 5.2.5) does not keep. Each is put right here, in the server process only,
before it serves a request; the tests prove each on the real server:

1. Action names. S3 authorises `PUT ?retention` as `s3:PutObjectRetention`, `PUT ?legal-hold` as
   `s3:PutObjectLegalHold` (and their GETs as `s3:GetObjectRetention`/`s3:GetObjectLegalHold`);
   moto's ACTION_MAP has no entry for them, so it authorises them as `s3:PutObject`/`s3:GetObject`,
   and the uploader (allowed `s3:PutObject` only) could shorten a lock. Source: S3 User Guide,
   "Locking objects with Object Lock", Required permissions; Service Authorization Reference, S3.
2. Shortening or removing a governance retention needs the `x-amz-bypass-governance-retention:
   true` header and `s3:BypassGovernanceRetention`; a compliance retention cannot be shortened or
   turned into governance by anyone. moto's `put_object_retention` overwrites any retention.
   Source: S3 User Guide, "Object Lock considerations", Bypassing governance mode; API Reference,
   PutObjectRetention (`x-amz-bypass-governance-retention`).
3. Deleting a locked version with the bypass header also needs `s3:BypassGovernanceRetention`;
   moto checks only the header. Source: as in 2, and API Reference, DeleteObject/DeleteObjects.
4. A PutObject that sets its own retention (`x-amz-object-lock-mode`/`-retain-until-date`) needs
   `s3:PutObjectRetention`, one that sets a legal hold `s3:PutObjectLegalHold`; moto checks only
   `s3:PutObject`. Source: API Reference, PutObject (x-amz-object-lock-* request headers).
5. Object Lock can be enabled on an existing versioned bucket that holds objects (AWS since
   November 2023); moto refuses unless the bucket is empty ("InvalidBucket: Bucket needs to be
   empty"). Source: API Reference, PutObjectLockConfiguration ("You can enable Object Lock for
   new or existing buckets"); S3 User Guide, "Configuring S3 Object Lock", Enable Object Lock on
   an existing S3 bucket.

6. The bucket's default retention applies to every new version, one completed from a multipart
   upload too; moto applies it to PutObject and CopyObject only, so every backup dump (the host
   uploads in parts) would be unlocked. Source: S3 User Guide, "Locking objects with Object Lock",
   Bucket configuration ("default retention ... applied to new objects placed in the bucket").
   (Lock headers sent with CreateMultipartUpload are still ignored here: the default applies.)

What stays weaker, and is proven another way (README, "Backups an attacker on the host cannot
erase"): moto never runs lifecycle rules, so it cannot show a noncurrent-version expiration
waiting for a lock to end (S3 User Guide, "Object Lock considerations", Managing S3 Lifecycle
policies with Object Lock); and its bucket policy is checked only as `s3:<Method>Object`, so a
bucket-policy Deny of `s3:BypassGovernanceRetention` or `s3:PutObjectRetention` is stored and
read back but enforced here through IAM only. moto does not implement GetObjectRetention (its
GET ?retention answers the object): HeadObject's `ObjectLockMode`/`ObjectLockRetainUntilDate`
carry the same retention.
"""

from __future__ import annotations

import datetime
from typing import Any

BYPASS_HEADER = "x-amz-bypass-governance-retention"
BYPASS_ACTION = "BypassGovernanceRetention"
# The PUTs on an object that are not PutObject (their lock headers, if any, are not a new version's).
OTHER_KEY_PUTS = ("retention", "legal-hold", "uploadId", "partNumber", "acl", "tagging")


def _bypass_requested(response: Any) -> bool:
    return str(response.headers.get(BYPASS_HEADER, "")).lower() == "true"


def _authorize(response: Any, action: str, key_name: str | None) -> None:
    """The caller's IAM policies must allow s3:<action> on the object, as S3 checks it."""
    before = response.data.get("Action")
    response.data["Action"] = action
    try:
        response._authenticate_and_authorize_s3_action(bucket_name=response.bucket_name, key_name=key_name)
    finally:
        response.data["Action"] = before


def _until(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).replace("Z", "+00:00")
        moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def retention_change_problem(
    old_mode: str | None, old_until: Any, new_mode: str | None, new_until: Any, *, bypass: bool
) -> str | None:
    """Why S3 refuses this retention change (None: allowed). A retention that has ended protects nothing."""
    old_end = _until(old_until)
    if not old_mode or old_end is None or old_end <= datetime.datetime.now(datetime.UTC):
        return None
    new_end = _until(new_until)
    weaker = new_end is None or new_end < old_end or (old_mode == "COMPLIANCE" and new_mode != "COMPLIANCE")
    if not weaker:
        return None
    if old_mode == "COMPLIANCE":
        return "a compliance-mode retention cannot be shortened or removed"
    if not bypass:
        return "shortening a governance-mode retention needs x-amz-bypass-governance-retention"
    return None


def apply() -> None:
    """Patch moto's S3 in this process (the local server's), once, before it serves a request."""
    from moto.s3 import models, responses
    from moto.s3.exceptions import AccessDeniedByLock

    if getattr(responses.S3Response, "_soundfactory_object_lock", False):
        return
    responses.S3Response._soundfactory_object_lock = True  # type: ignore[attr-defined]

    # 1. Authorise each Object Lock call under its own action name.
    responses.ACTION_MAP["KEY"]["PUT"].update({"retention": "PutObjectRetention", "legal-hold": "PutObjectLegalHold"})
    responses.ACTION_MAP["KEY"]["GET"].update({"retention": "GetObjectRetention", "legal-hold": "GetObjectLegalHold"})

    # 2. A retention may only grow, unless governance is bypassed by someone allowed to.
    put_retention = responses.S3Response.put_object_retention

    def put_object_retention(self: Any) -> Any:
        key_name = self.parse_key_name()
        bypass = _bypass_requested(self)
        if bypass:
            _authorize(self, BYPASS_ACTION, key_name)
        key = self.backend.get_object(self.bucket_name, key_name, version_id=self._get_param("versionId"))
        if key is not None:
            new_mode, new_until = self._mode_until_from_body()
            if retention_change_problem(key.lock_mode, key.lock_until, new_mode, new_until, bypass=bypass):
                raise AccessDeniedByLock
        return put_retention(self)

    responses.S3Response.put_object_retention = put_object_retention  # type: ignore[method-assign]

    # 3. The bypass header is honoured only for a caller allowed s3:BypassGovernanceRetention.
    delete_object = responses.S3Response.delete_object

    def checked_delete_object(self: Any) -> Any:
        if _bypass_requested(self):
            _authorize(self, BYPASS_ACTION, self.parse_key_name())
        return delete_object(self)

    responses.S3Response.delete_object = checked_delete_object  # type: ignore[method-assign]

    delete_keys = responses.S3Response._bucket_response_delete_keys

    def checked_delete_keys(self: Any, bucket_name: str, authenticated: bool = True) -> Any:
        if authenticated and _bypass_requested(self):
            _authorize(self, BYPASS_ACTION, "*")
        return delete_keys(self, bucket_name, authenticated)

    responses.S3Response._bucket_response_delete_keys = checked_delete_keys  # type: ignore[method-assign]

    # 4. A write that sets its own lock needs the lock's permission too.
    key_put = responses.S3Response._key_response_put

    def checked_key_put(self: Any, query: dict[str, Any], key_name: str) -> Any:
        if not any(sub in query for sub in OTHER_KEY_PUTS):  # PutObject itself (or CopyObject)
            if self.headers.get("x-amz-object-lock-mode") or self.headers.get("x-amz-object-lock-retain-until-date"):
                _authorize(self, "PutObjectRetention", key_name)
            if self.headers.get("x-amz-object-lock-legal-hold"):
                _authorize(self, "PutObjectLegalHold", key_name)
        return key_put(self, query, key_name)

    responses.S3Response._key_response_put = checked_key_put  # type: ignore[method-assign]

    # 6. A version completed from parts gets the bucket's default retention, from its completion.
    complete_multipart_upload = models.S3Backend.complete_multipart_upload

    def locked_complete_multipart_upload(self: Any, bucket_name: str, multipart_id: str, body: Any) -> Any:
        key = complete_multipart_upload(self, bucket_name, multipart_id, body)
        bucket = self.get_bucket(bucket_name)
        if key is not None and bucket.has_default_lock and not key.lock_mode:
            key.lock_mode = bucket.default_lock_mode
            key.lock_until = bucket.default_retention()
        return key

    models.S3Backend.complete_multipart_upload = locked_complete_multipart_upload  # type: ignore[method-assign]

    # 5. Object Lock on an existing versioned bucket, objects and all (AWS since 2023).
    def put_object_lock_configuration(
        self: Any,
        bucket_name: str,
        lock_enabled: bool,
        mode: str | None = None,
        days: int | None = None,
        years: int | None = None,
    ) -> None:
        bucket = self.get_bucket(bucket_name)
        if not bucket.is_versioned:
            from moto.s3.exceptions import InvalidBucketState

            raise InvalidBucketState("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
        if lock_enabled:
            bucket.object_lock_enabled = True
        bucket.default_lock_mode = mode
        bucket.default_lock_days = days
        bucket.default_lock_years = years

    models.S3Backend.put_object_lock_configuration = put_object_lock_configuration  # type: ignore[method-assign]
