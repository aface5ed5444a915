"""Registers resources of the program's real types with inputs a policy must refuse.

The types are those of components/ (`pulumi-python:dynamic/<module>:<Name>`) and the
inputs have the same shape; the provider does nothing, since only `pulumi preview
--policy-pack` runs here. One case a policy, chosen by the `case` config key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

LOCAL_S3 = "http://127.0.0.1:9"
GOOD_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"


class NothingProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("fixture", props)


def real_type(module: str, type_name: str) -> Callable[[str, dict[str, Any]], Resource]:
    """A resource class typed `pulumi-python:dynamic/<module>:<type_name>`, like the program's."""

    class Fixture(Resource, module=module, name=type_name):
        def __init__(self, name: str, props: dict[str, Any]) -> None:
            super().__init__(NothingProvider(), name, props)

    return Fixture


Bucket = real_type("backups", "Bucket")
CronHost = real_type("backups", "CronHost")
EnvVar = real_type("netlify", "EnvVar")
WebhookEndpoint = real_type("stripe", "WebhookEndpoint")


def env_var(key: str, values: dict[str, str], *, secret: bool, api_url: str = "http://127.0.0.1:9/api/v1") -> None:
    EnvVar(
        f"site-{key}",
        {
            "api_url": api_url,
            "account_id": "fixture",
            "site_id": "fixture-site",
            "site_url": api_url.split("/api/")[0],
            "key": key,
            "values": values,
            "is_secret": secret,
            "scopes": ["builds", "functions", "runtime"],
        },
    )


def bucket(**overrides: Any) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyObjectDeletionExceptBreakGlass",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                "Resource": "arn:aws:s3:::fixture/*",
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:user/bg"}},
            },
            {
                "Sid": "DenyLockChangesExceptBreakGlass",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:BypassGovernanceRetention", "s3:PutObjectLegalHold", "s3:PutObjectRetention"],
                "Resource": "arn:aws:s3:::fixture/*",
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:user/bg"}},
            },
        ],
    }
    props = {
        "endpoint_url": LOCAL_S3,
        "region": "us-east-1",
        "bucket": "fixture-backups",
        "versioning": "Enabled",
        "encryption": {"algorithm": "AES256", "kms_key_id": ""},
        "public_access_block": dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
        "policy": json.dumps(policy),
        "lifecycle": [
            {
                "id": "r",
                "status": "Enabled",
                "prefix": "",
                "expiration_days": 35,
                "noncurrent_days": 7,
                "abort_multipart_days": 1,
                "other": "",
            }
        ],
        "object_lock": {"mode": "GOVERNANCE", "days": 35},
    }
    Bucket("backups-bucket", {**props, **overrides})


case = pulumi.Config().require("case")
if case == "bucket-unhardened":
    # Versioning suspended, one Block Public Access setting off, no lifecycle abort.
    bucket(
        versioning="Suspended",
        public_access_block={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True,
        },
    )
elif case == "bucket-remote-without-tls-rule":
    # A real S3 endpoint: the loopback exemption for the deny-non-TLS statement must not apply.
    bucket(endpoint_url="https://s3.amazonaws.com")
elif case == "bucket-unlocked":
    # Object Lock off: a backup could be removed before its time (FSBP S3.15).
    bucket(object_lock={"mode": "", "days": 0})
elif case == "plain-secret":
    env_var("STRIPE_SECRET_KEY", {"production": "sk_test_plainplainplain"}, secret=False)
elif case == "publishable-secret":
    # The anon key marked secret: Netlify's scan would fail every build that bundles it.
    env_var("SUPABASE_ANON_KEY", {"production": "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.sig"}, secret=True)
elif case == "preview-live-key":
    # A prod-like config that leaks: the live key in previews too.
    live = "sk_live_4e6a8c0e2f4b6d8f"
    env_var("STRIPE_SECRET_KEY", {"production": live, "deploy-preview": live, "branch-deploy": live}, secret=True)
elif case == "preview-commissions":
    env_var("PROCESS_COMMISSIONS", {"production": "true", "deploy-preview": "true"}, secret=False)
elif case == "secret-dev-value":
    env_var("TWILIO_AUTH_TOKEN", {"production": "t0k3n", "dev": "test-t0k3n"}, secret=True)
elif case == "prod-test-key":
    # Run as stack `prod`: a test Stripe key and a plain-HTTP webhook URL.
    env_var(
        "STRIPE_SECRET_KEY",
        {"production": "sk_test_4e6a8c0e2f4b6d8f"},
        secret=True,
        api_url="https://api.netlify.com/api/v1",
    )
    WebhookEndpoint(
        "stripe-webhook",
        {
            "url": "http://soundfactorynyc.com/.netlify/functions/stripe-webhook",
            "enabled_events": ["checkout.session.completed"],
            "api_version": "2024-06-20",
            "disabled": False,
            "livemode": False,
        },
    )
elif case == "undeclared-flag":
    env_var("PROCESS_COMMISSIONS", {"production": "true"}, secret=False)
    env_var("ENABLE_NEW_CHECKOUT", {"production": "false"}, secret=False)
elif case == "unpinned-host":
    CronHost("backups-host", {"host": "127.0.0.1", "port": 22, "user": "backup", "host_keys": []})
elif case == "malformed-host-key":
    CronHost("backups-host", {"host": "127.0.0.1", "port": 22, "user": "backup", "host_keys": ["ssh-ed25519 *"]})
elif case == "all-good":
    # The same shapes with good inputs: proves the cases above fail for their one reason.
    bucket()
    env_var("PROCESS_COMMISSIONS", {"production": "true", "deploy-preview": "false"}, secret=False)
    env_var(
        "STRIPE_SECRET_KEY",
        {"production": "sk_test_4e6a8c0e2f4b6d8f", "deploy-preview": "sk_test_0a1b2c3d4e5f6a7b"},
        secret=True,
    )
    env_var("SUPABASE_ANON_KEY", {"production": "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.sig"}, secret=False)
    CronHost("backups-host", {"host": "127.0.0.1", "port": 22, "user": "backup", "host_keys": [GOOD_HOST_KEY]})
else:
    raise ValueError(f"unknown case {case!r}")
