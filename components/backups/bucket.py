"""`backups:Bucket`: the S3 bucket that keeps database backups, with every hardening control declared.

Controls (each one an input property, read back on refresh, so drift shows by name):
`versioning`, `encryption` (SSE-S3 or SSE-KMS), `ownership` (BucketOwnerEnforced: ACLs off),
`public_access_block` (all four settings), `policy` (deny non-TLS access; deny object deletion to all but the
break-glass principal), `lifecycle` (expiration, noncurrent-version expiration,
abort incomplete multipart uploads) and `object_lock` (on for every stack: a default retention
in governance mode, or compliance where the operator chose it). Object Lock cannot be turned off
once a bucket has it: `check` refuses a change that would need that, before any call. A bucket
made before Object Lock was the default gets it on the next `up`: S3 enables Object Lock on an
existing versioned bucket (API Reference, PutObjectLockConfiguration: "You can enable Object Lock
for new or existing buckets"); the versions already there keep no retention, every new one does.

`pulumi destroy` deletes the bucket only when it is empty: backups are never
deleted by a deployment tool (see the error message for what to do).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pulumi
from botocore.exceptions import ClientError
from pulumi.dynamic import CheckFailure, CreateResult, Resource

from components import credentials
from components.backups.aws import error_code, region_or_default, s3_client
from components.backups.config import BucketSettings
from components.provider_base import (
    UNKNOWN,
    DeclaredProvider,
    computed,
    connection,
    endpoint,
    guard,
    identity,
    lower,
    mutable,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CONTROLS = (
    "versioning",
    "encryption",
    "public_access_block",
    "policy",
    "lifecycle",
    "object_lock",
    "ownership",
    "logging",
)
# Public access is blocked before anything else is set; ACLs go off next (FSBP S3.12).
WRITE_ORDER = (
    "public_access_block",
    "ownership",
    "versioning",
    "encryption",
    "lifecycle",
    "object_lock",
    "policy",
    "logging",
)
# Server access logs (FSBP S3.9) go to a bucket of the stack's own, under this prefix.
LOG_PREFIX = "s3-access/"
NO_LOGGING = {"target_bucket": "", "target_prefix": ""}
# ACLs disabled: the bucket owner owns every object and only policies grant access (FSBP S3.12).
OWNERSHIP = "BucketOwnerEnforced"
PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
RULE_ID = "soundfactory-backups-retention"
LOCK_OFF_MESSAGE = (
    "Object Lock cannot be turned off: this bucket has it ({mode}, {days} days) and S3 keeps it for the bucket's "
    "life. Set backupObjectLockMode back to {mode_lower} (a shorter retention is allowed), or move backups to a "
    "new bucket (a new backupBucket name) and retire this one by hand."
)


# --- desired state (pure) -----------------------------------------------------------------


def conditional_write_statement(name: str, prefix: str) -> dict[str, Any]:
    """Deny creating a backup object without `If-None-Match`: backups are write-once, for every principal.

    S3 evaluates `s3:if-none-match` on PutObject and CompleteMultipartUpload; CreateMultipartUpload
    and UploadPart take no conditional header, so `s3:ObjectCreationOperation` (true only for the
    requests that create the object) exempts them. Both keys in one Condition block must hold
    (AND). Source: Amazon S3 User Guide, "Enforce conditional writes on Amazon S3 buckets".
    """
    return {
        "Sid": "DenyOverwritingBackups",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{name}/{prefix}*",
        "Condition": {
            "Null": {"s3:if-none-match": "true"},
            "Bool": {"s3:ObjectCreationOperation": "true"},
        },
    }


# What could undo Object Lock on a version: bypassing governance (deleting or shortening a locked
# version), setting a retention (a shorter one needs the bypass too), a legal hold (which would
# keep a version past the lifecycle). IAM grants none of them to the uploader or the restore
# identity; this Deny keeps them from everyone but break-glass, whatever else IAM grants (S3 User
# Guide, "Object Lock considerations": Bypassing governance mode, s3:BypassGovernanceRetention).
LOCK_ACTIONS = ("s3:BypassGovernanceRetention", "s3:PutObjectLegalHold", "s3:PutObjectRetention")


def lock_statement(objects_arn: str, break_glass_principal: str) -> dict[str, Any]:
    return {
        "Sid": "DenyLockChangesExceptBreakGlass",
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(LOCK_ACTIONS),
        "Resource": objects_arn,
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": break_glass_principal}},
    }


def _tls_statement(name: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def bucket_policy(
    name: str,
    break_glass_principal: str,
    *,
    deny_insecure_transport: bool,
    prefix: str = "",
    require_conditional_writes: bool = False,
) -> dict[str, Any]:
    """The bucket policy. The TLS-only and the write-once statements are conditions S3 evaluates;
    moto applies a Deny's condition to nothing and denies every request, so the local stack
    leaves both out (backupDenyInsecureTransport / backupRequireConditionalWrites false) and the
    restore side catches a rewrite there (scripts/sfops/restore/versions.py)."""
    objects_arn = f"arn:aws:s3:::{name}/*"
    statements: list[dict[str, Any]] = []
    if require_conditional_writes:
        statements.append(conditional_write_statement(name, prefix))
    if deny_insecure_transport:
        statements.append(_tls_statement(name))
    statements.append(lock_statement(objects_arn, break_glass_principal))
    statements.append(
        {
            "Sid": "DenyObjectDeletionExceptBreakGlass",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            "Resource": objects_arn,
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": break_glass_principal}},
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}


def canonical_policy(document: dict[str, Any] | str) -> str:
    """One spelling per meaning (AWS may return 'x' for ['x'], or reorder), so only real changes diff."""
    doc = json.loads(document) if isinstance(document, str) else document

    def listed(value: Any) -> Any:
        # One value as a plain string, several as a sorted list: AWS's own spelling, and the one
        # S3's log-delivery check reads (a Principal's Service and a Resource as strings).
        values = sorted(value) if isinstance(value, list) else [value]
        return values[0] if len(values) == 1 else values

    statements = doc.get("Statement", [])
    normalized = []
    for statement in statements if isinstance(statements, list) else [statements]:
        entry = dict(statement)
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in entry:
                entry[key] = listed(entry[key])
        principal = entry.get("Principal")
        if isinstance(principal, dict):
            entry["Principal"] = {k: listed(p) for k, p in principal.items()}
        normalized.append(entry)
    return json.dumps({**doc, "Statement": normalized}, sort_keys=True)


def desired_state(settings: BucketSettings) -> dict[str, Any]:
    """The resource's inputs: connection plus one property per control."""
    return {
        "endpoint_url": settings.endpoint_url,
        "region": settings.region,
        "bucket": settings.name,
        "versioning": "Enabled",
        "encryption": {
            "algorithm": "aws:kms" if settings.kms_key_id else "AES256",
            "kms_key_id": settings.kms_key_id or "",
        },
        "public_access_block": dict.fromkeys(PUBLIC_ACCESS_SETTINGS, True),
        "policy": canonical_policy(
            bucket_policy(
                settings.name,
                settings.break_glass_principal,
                deny_insecure_transport=settings.deny_insecure_transport,
                prefix=settings.prefix,
                require_conditional_writes=settings.require_conditional_writes,
            )
        ),
        "lifecycle": [
            {
                "id": RULE_ID,
                "status": "Enabled",
                "prefix": "",
                "expiration_days": settings.expiration_days,
                "noncurrent_days": settings.noncurrent_days,
                "abort_multipart_days": settings.abort_multipart_days,
                "other": "",
            }
        ],
        "object_lock": {"mode": settings.object_lock_mode or "", "days": settings.object_lock_days},
        "ownership": OWNERSHIP,
        "logging": {"target_bucket": settings.log_bucket, "target_prefix": LOG_PREFIX}
        if settings.log_bucket
        else NO_LOGGING,
    }


def log_bucket_policy(log_bucket: str, source_bucket: str, *, deny_insecure_transport: bool) -> dict[str, Any]:
    """S3's log delivery may write under LOG_PREFIX, for the backup bucket only (S3 User Guide,
    "Permissions for log delivery": the logging service principal, aws:SourceArn)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "S3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{log_bucket}/{LOG_PREFIX}*",
            "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source_bucket}"}},
        }
    ]
    if deny_insecure_transport:
        statements.insert(0, _tls_statement(log_bucket))
    return {"Version": "2012-10-17", "Statement": statements}


def log_bucket_state(settings: BucketSettings) -> dict[str, Any]:
    """The access-log bucket's inputs: hardened like the backups' (ACLs off, no public access,
    SSE-S3, the only encryption log delivery supports), without Object Lock or logging of its own."""
    main = desired_state(settings)
    return {
        **main,
        "bucket": settings.log_bucket,
        "encryption": {"algorithm": "AES256", "kms_key_id": ""},
        "policy": canonical_policy(
            log_bucket_policy(
                settings.log_bucket, settings.name, deny_insecure_transport=settings.deny_insecure_transport
            )
        ),
        "lifecycle": [{**main["lifecycle"][0], "expiration_days": settings.expiration_days}],
        "object_lock": {"mode": "", "days": 0},
        "logging": NO_LOGGING,
        "holds": "access-logs",
    }


def _flat_rule(rule: dict[str, Any]) -> dict[str, Any]:
    rest = dict(rule)
    filt = dict(rest.pop("Filter", {}) or {})
    prefix = filt.pop("Prefix", rest.pop("Prefix", ""))
    expiration = dict(rest.pop("Expiration", {}) or {})
    noncurrent = dict(rest.pop("NoncurrentVersionExpiration", {}) or {})
    abort = dict(rest.pop("AbortIncompleteMultipartUpload", {}) or {})
    flat = {
        "id": rest.pop("ID", ""),
        "status": rest.pop("Status", ""),
        "prefix": prefix,
        "expiration_days": int(expiration.pop("Days", 0) or 0),
        "noncurrent_days": int(noncurrent.pop("NoncurrentDays", 0) or 0),
        "abort_multipart_days": int(abort.pop("DaysAfterInitiation", 0) or 0),
    }
    leftovers = {k: val for k, val in {**rest, "Filter": filt, "Expiration": expiration}.items() if val}
    leftovers |= {"NoncurrentVersionExpiration": noncurrent} if noncurrent else {}
    flat["other"] = json.dumps(leftovers, sort_keys=True, default=str) if leftovers else ""
    return flat


def _aws_rule(flat: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {"ID": flat["id"], "Status": flat["status"], "Filter": {"Prefix": flat["prefix"]}}
    # Numbers arrive from the engine as floats; S3 wants whole days.
    if flat["expiration_days"]:
        rule["Expiration"] = {"Days": int(flat["expiration_days"])}
    if flat["noncurrent_days"]:
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(flat["noncurrent_days"])}
    if flat["abort_multipart_days"]:
        rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(flat["abort_multipart_days"])}
    return rule


# --- reading and writing each control ---------------------------------------------------------


def _missing(exc: ClientError, *codes: str) -> bool:
    return error_code(exc) in codes


def read_controls(client: S3Client, bucket: str) -> dict[str, Any]:
    """Every control as it is on the server, in the shape of `desired_state`. Raises NoSuchBucket."""
    versioning = client.get_bucket_versioning(Bucket=bucket).get("Status") or "Disabled"
    try:
        rules = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
        encryption = {"algorithm": default.get("SSEAlgorithm", ""), "kms_key_id": default.get("KMSMasterKeyID", "")}
    except ClientError as exc:
        if not _missing(exc, "ServerSideEncryptionConfigurationNotFoundError"):
            raise
        encryption = {"algorithm": "", "kms_key_id": ""}
    try:
        block = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        public_access_block = {k: bool(block.get(k, False)) for k in PUBLIC_ACCESS_SETTINGS}
    except ClientError as exc:
        if not _missing(exc, "NoSuchPublicAccessBlockConfiguration"):
            raise
        public_access_block = dict.fromkeys(PUBLIC_ACCESS_SETTINGS, False)
    try:
        policy = canonical_policy(client.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        if not _missing(exc, "NoSuchBucketPolicy"):
            raise
        policy = ""
    try:
        live_rules = client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
        lifecycle = sorted((_flat_rule(dict(r)) for r in live_rules), key=lambda r: str(r["id"]))
    except ClientError as exc:
        if not _missing(exc, "NoSuchLifecycleConfiguration"):
            raise
        lifecycle = []
    try:
        lock = client.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
        retention = lock.get("Rule", {}).get("DefaultRetention", {})
        enabled = lock.get("ObjectLockEnabled") == "Enabled"
        object_lock = {
            "mode": str(retention.get("Mode", "")) if enabled else "",
            "days": int(retention.get("Days", 0)) if enabled else 0,
        }
        if retention.get("Years"):  # a retention in years is not what we declare: show it as drift
            object_lock["years"] = int(retention["Years"])
        if enabled and not object_lock["mode"]:
            object_lock["mode"] = "ENABLED-WITHOUT-DEFAULT-RETENTION"
    except ClientError as exc:
        if not _missing(exc, "ObjectLockConfigurationNotFoundError"):
            raise
        object_lock = {"mode": "", "days": 0}
    try:
        rules_of_ownership = client.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        ownership = str(rules_of_ownership[0]["ObjectOwnership"]) if rules_of_ownership else ""
    except ClientError as exc:
        if not _missing(exc, "OwnershipControlsNotFoundError"):
            raise
        ownership = ""  # no controls: ACLs are in force (S3's behaviour before BucketOwnerEnforced)
    target: Any = client.get_bucket_logging(Bucket=bucket).get("LoggingEnabled") or {}
    logging = {"target_bucket": target.get("TargetBucket", ""), "target_prefix": target.get("TargetPrefix", "")}
    return {
        "logging": logging,
        "ownership": ownership,
        "versioning": versioning,
        "encryption": encryption,
        "public_access_block": public_access_block,
        "policy": policy,
        "lifecycle": lifecycle,
        "object_lock": object_lock,
    }


def _put_object_lock(client: S3Client, bucket: str, mode: str, days: int) -> None:
    """Object Lock on with its default retention; on a bucket made without it too (versioning is
    written first: S3 requires it). Only new versions get the default retention."""
    configuration: Any = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}}}
    try:
        client.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=configuration)
    except ClientError as exc:
        if error_code(exc) not in ("InvalidBucket", "InvalidBucketState"):
            raise
        # S3 enables Object Lock on an existing versioned bucket; an S3 server that cannot (moto
        # before our local server's fix, some S3-compatible stores) says so here.
        raise RuntimeError(
            f"bucket {bucket!r}: this S3 server refuses to turn Object Lock on for an existing bucket "
            f"({exc.response.get('Error', {}).get('Message', '')}). On the local stack, restart the local S3 "
            "server (make services-down && make services-up: it now does it as AWS does; it starts empty) and "
            "run pulumi up --refresh. Elsewhere, move backups to a new bucket (a new backupBucket name: it is "
            "created with Object Lock) and retire this one (README: retiring)"
        ) from None


def write_control(client: S3Client, bucket: str, control: str, value: Any) -> None:
    if control == "versioning":
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": value})
    elif control == "encryption":
        default: dict[str, Any] = {"SSEAlgorithm": value["algorithm"]}
        if value["kms_key_id"]:
            default["KMSMasterKeyID"] = value["kms_key_id"]
        rule: Any = {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bool(value["kms_key_id"])}
        client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    elif control == "public_access_block":
        block: Any = dict(value)
        client.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
    elif control == "policy":
        client.put_bucket_policy(Bucket=bucket, Policy=value)
    elif control == "lifecycle":
        rules: Any = [_aws_rule(rule) for rule in value]
        client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    elif control == "object_lock":
        if value["mode"]:
            _put_object_lock(client, bucket, str(value["mode"]), int(value["days"]))
    elif control == "logging":
        status: Any = (
            {"LoggingEnabled": {"TargetBucket": value["target_bucket"], "TargetPrefix": value["target_prefix"]}}
            if value["target_bucket"]
            else {}
        )
        client.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=status)
    elif control == "ownership":
        client.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": value}]})
    else:
        raise ValueError(f"unknown control {control}")


# --- the provider --------------------------------------------------------------------------

REGION_MOVE_MESSAGE = (
    "backupRegion: bucket {bucket!r} is in {old}, and S3 cannot move a bucket to another region ({new}). "
    "Set backupRegion back to {old}; to keep backups in {new}, give the stack a new backupBucket name "
    "(a new bucket there; the old one is kept with its backups, retire it by hand)"
)


class BucketProvider(DeclaredProvider):
    FIELDS = (
        identity("bucket", normalize=lower),
        identity("region", normalize=region_or_default),
        connection("endpoint_url", normalize=endpoint),
        *(mutable(control) for control in CONTROLS),
        # What the bucket keeps: "access-logs" for the log bucket (state before this field: backups).
        guard("holds"),
        computed("arn"),
    )

    def outputs(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**self.inputs_of(props), "arn": f"arn:aws:s3:::{props['bucket']}"}

    def validate(self, olds: dict[str, Any], news: dict[str, Any]) -> list[CheckFailure]:
        failures: list[CheckFailure] = []
        same_bucket = bool(olds) and olds.get("bucket") == news.get("bucket")
        old_region = region_or_default(olds.get("region", ""))
        if same_bucket and old_region != news.get("region") and news.get("region") != UNKNOWN:
            message = REGION_MOVE_MESSAGE.format(bucket=news["bucket"], old=old_region, new=news.get("region"))
            failures.append(CheckFailure("region", message))
        old_lock = olds.get("object_lock") or {}
        new_lock = news.get("object_lock") or {}
        if old_lock.get("mode") and not new_lock.get("mode") and same_bucket:
            failures.append(
                CheckFailure(
                    "object_lock",
                    LOCK_OFF_MESSAGE.format(
                        mode=old_lock["mode"], days=old_lock.get("days"), mode_lower=str(old_lock["mode"]).lower()
                    ),
                )
            )
        if new_lock.get("mode") and int(new_lock.get("days", 0)) > max(
            (int(r.get("expiration_days") or 0) for r in news.get("lifecycle", [])), default=0
        ):
            failures.append(CheckFailure("object_lock", "Object Lock retention is longer than the expiration"))
        return failures

    def create(self, props: dict[str, Any]) -> CreateResult:
        bucket, region = props["bucket"], props["region"]
        client = s3_client(props["endpoint_url"], region)
        lock = bool(props["object_lock"]["mode"])
        kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectLockEnabledForBucket": lock}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            client.create_bucket(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "BucketAlreadyExists":
                raise RuntimeError(
                    f"bucket {bucket!r} belongs to another AWS account (S3 names are global); "
                    "choose another backupBucket"
                ) from None
            # BucketAlreadyOwnedByYou: a retried create, or a bucket made by hand: converge on the declared controls.
            if error_code(exc) != "BucketAlreadyOwnedByYou":
                raise
        # Public access is blocked before anything else is set.
        for control in WRITE_ORDER:
            write_control(client, bucket, control, props[control])
        return CreateResult(bucket, self.outputs(props))

    def update_remote(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        client = s3_client(news["endpoint_url"], news["region"])
        for control in WRITE_ORDER:
            if olds.get(control) != news[control]:
                write_control(client, news["bucket"], control, news[control])
        return self.outputs(news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if credentials.keeping_bucket(props["bucket"]):
            return  # retired on purpose: the stack forgets it, the bucket and its backups stay
        client = s3_client(props["endpoint_url"], props["region"])
        try:
            client.delete_bucket(Bucket=props["bucket"])
        except ClientError as exc:
            if error_code(exc) == "NoSuchBucket":
                return
            if error_code(exc) == "BucketNotEmpty":
                if props.get("holds") == "access-logs":
                    return  # access logs are evidence: the stack forgets the bucket, the logs stay
                raise RuntimeError(BUCKET_NOT_EMPTY.format(bucket=props["bucket"])) from None
            raise

    def read_remote(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        client = s3_client(props["endpoint_url"], props["region"])
        try:
            live = read_controls(client, id_)
        except ClientError as exc:
            if error_code(exc) in ("NoSuchBucket", "404"):
                return None
            raise
        return {**live, "arn": f"arn:aws:s3:::{id_}"}


# The advice must work whatever state the stack is in: `pulumi state delete` refuses a URN
# that names two resources (the old bucket of a replacement is one of them, marked for
# deletion, beside its successor), so the way out is the operator's word in config.
BUCKET_NOT_EMPTY = (
    "bucket {bucket!r} still holds backups, and pulumi never deletes backups. To keep it and let the stack "
    "forget it: pulumi config set backupKeepBucket {bucket}, then pulumi up (a destroy does not run the program, "
    "so it would not see the setting; the up records it and finishes a replacement that stopped here), then "
    "destroy again if that is what you ran: the bucket and its backups stay as they are. To delete it instead: "
    "empty it with the break-glass principal (the only one the bucket policy lets delete objects), then run "
    "the command again"
)


class Bucket(Resource, module="backups", name="Bucket"):
    """The backup bucket; its properties are the controls (see the module docstring)."""

    arn: pulumi.Output[str]
    bucket: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        settings: BucketSettings,
        opts: pulumi.ResourceOptions | None = None,
        *,
        state: dict[str, Any] | None = None,  # another bucket's inputs (the access-log bucket)
    ):
        provider = BucketProvider
        inputs = state if state is not None else desired_state(settings)
        super().__init__(provider(), resource_name, provider.declared_inputs(inputs), provider.options(opts))
