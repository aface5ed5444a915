"""The backup bucket keeps every hardening control (AWS Security Hub S3.1/5/8/10/13/14/15; Object Lock everywhere)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from soundfactory_policy.policy_kit import mandatory_policy
from soundfactory_policy.resources import BUCKET, PRODUCTION_STACK, is_loopback_http, known, stack_of

PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
ENCRYPTIONS = ("AES256", "aws:kms")


def _statements(policy: Any) -> list[Mapping[str, Any]]:
    try:
        document = json.loads(policy) if isinstance(policy, str) else dict(policy or {})
    except (TypeError, ValueError):
        return []
    statements = document.get("Statement", [])
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, Mapping)]


def _listed(value: Any) -> set[str]:
    return {str(v) for v in value} if isinstance(value, list) else {str(value)}


def _denies_insecure_transport(statements: list[Mapping[str, Any]]) -> bool:
    return any(
        s.get("Effect") == "Deny"
        and s.get("Principal") == "*"
        and str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport", "")).lower() == "false"
        for s in statements
    )


def _denies_but_break_glass(statements: list[Mapping[str, Any]], actions: set[str]) -> bool:
    return any(
        s.get("Effect") == "Deny"
        and s.get("Principal") == "*"
        and actions <= _listed(s.get("Action", []))
        and bool(s.get("Condition", {}).get("ArnNotEquals", {}).get("aws:PrincipalArn"))
        for s in statements
    )


DELETE_ACTIONS = {"s3:DeleteObject", "s3:DeleteObjectVersion"}
# Bypassing governance, or setting a retention or legal hold, would undo Object Lock on a version.
LOCK_ACTIONS = {"s3:BypassGovernanceRetention", "s3:PutObjectRetention", "s3:PutObjectLegalHold"}
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


def bucket_problems(props: Mapping[str, Any], stack: str) -> list[str]:
    """Each missing control, named; pure so the reasons read the same everywhere."""
    problems: list[str] = []
    if known(props.get("versioning")) and props.get("versioning") != "Enabled":
        problems.append(f"versioning is {props.get('versioning')!r}, not 'Enabled'")
    encryption = dict(props.get("encryption") or {})
    algorithm = encryption.get("algorithm")
    if known(algorithm) and algorithm not in ENCRYPTIONS:
        problems.append(f"default encryption is {algorithm!r}, not SSE-S3 (AES256) or SSE-KMS (aws:kms)")
    if algorithm == "aws:kms" and not encryption.get("kms_key_id"):
        problems.append("SSE-KMS without a KMS key id")
    block = dict(props.get("public_access_block") or {})
    off = [name for name in PUBLIC_ACCESS_SETTINGS if block.get(name) is not True]
    if off:
        problems.append(f"Block Public Access settings off: {', '.join(off)}")
    policy = props.get("policy")
    if known(policy):
        statements = _statements(policy)
        # The access-log bucket (components.backups.bucket.log_bucket_state) holds S3's own
        # delivery logs, expired by its lifecycle: evidence, not backups, so no break-glass rule.
        holds_backups = props.get("holds") != "access-logs"
        if holds_backups and not _denies_but_break_glass(statements, DELETE_ACTIONS):
            problems.append("the bucket policy does not deny object deletion to all but the break-glass principal")
        if holds_backups and not _denies_but_break_glass(statements, LOCK_ACTIONS):
            problems.append(
                "the bucket policy does not deny bypassing governance retention and setting retention or legal "
                "holds to all but the break-glass principal"
            )
        # Only the local stack's plain-HTTP loopback S3 server may go without the TLS rule:
        # it cannot speak TLS, and moto applies the conditional Deny to every request.
        tls_exempt = stack != PRODUCTION_STACK and is_loopback_http(props.get("endpoint_url"))
        if not tls_exempt and not _denies_insecure_transport(statements):
            problems.append("the bucket policy does not deny requests without TLS (aws:SecureTransport=false)")
    lifecycle = props.get("lifecycle")
    if known(lifecycle):
        rules = [dict(rule) for rule in (lifecycle or []) if isinstance(rule, Mapping)]
        enabled = [rule for rule in rules if rule.get("status") == "Enabled"]
        for field, what in (
            ("expiration_days", "expiration"),
            ("noncurrent_days", "noncurrent version expiration"),
            ("abort_multipart_days", "incomplete multipart upload abort"),
        ):
            if not any((rule.get(field) or 0) > 0 for rule in enabled):
                problems.append(f"no enabled lifecycle rule with {what}")
    lock = dict(props.get("object_lock") or {})
    # Every stack's backups are write-once (FSBP S3.15); the access-log bucket cannot have Object
    # Lock (S3 refuses a locked bucket as a log destination).
    unlocked = lock.get("mode") not in LOCK_MODES or int(lock.get("days") or 0) < 1
    if props.get("holds") != "access-logs" and known(props.get("object_lock")) and unlocked:
        problems.append(f"Object Lock has no default retention ({lock or 'off'}): backups could be removed early")
    expiry = max((int(dict(r).get("expiration_days") or 0) for r in (lifecycle or []) if known(lifecycle)), default=0)
    if lock.get("mode") and expiry and int(lock.get("days") or 0) > expiry:
        problems.append(f"Object Lock retention ({lock.get('days')} days) is longer than the expiration ({expiry})")
    return problems


backup_bucket_hardened = mandatory_policy(
    "backup-bucket-hardened",
    "The backup bucket keeps versioning, default encryption, all four Block Public Access settings, "
    "a policy denying non-TLS requests and deletion or lock changes by all but break-glass, a full "
    "lifecycle, and Object Lock with a default retention.",
    frozenset({BUCKET}),
    lambda args: [f"backup bucket {args.name}: {p}" for p in bucket_problems(args.props, stack_of(args.urn))],
)
