"""The Netlify variables the site's functions read, derived from the typed config.

Pure data: which keys exist, which are secret, and their values. Keeping it apart
from the component makes "what will be set" testable without an engine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.stack_config import StackConfig

# The scopes our variables get: functions read them at run time, builds to bundle.
SITE_SCOPES = ("builds", "functions", "runtime")


@dataclass(frozen=True)
class SiteVariable:
    key: str
    value: pulumi.Input[str]
    secret: bool


def site_variables(config: StackConfig, sms_pepper: pulumi.Input[str]) -> list[SiteVariable]:
    app = config.app
    variables = [
        SiteVariable("SUPABASE_URL", app.supabase_url, secret=False),
        SiteVariable("SUPABASE_ANON_KEY", app.supabase_anon_key, secret=True),
        SiteVariable("SUPABASE_SERVICE_ROLE_KEY", app.supabase_service_role_key, secret=True),
        SiteVariable("STRIPE_SECRET_KEY", app.stripe_secret_key, secret=True),
        SiteVariable("SMS_PEPPER", sms_pepper, secret=True),
    ]
    if app.twilio is not None:
        variables += [
            SiteVariable("TWILIO_ACCOUNT_SID", app.twilio.account_sid, secret=False),
            SiteVariable("TWILIO_AUTH_TOKEN", app.twilio.auth_token, secret=True),
            SiteVariable("TWILIO_FROM_NUMBER", app.twilio.from_number, secret=False),
        ]
    variables += [
        SiteVariable(name, "true" if enabled else "false", secret=False) for name, enabled in config.flags.items()
    ]
    return variables


def sms_pepper(config: StackConfig) -> pulumi.Input[str]:
    """The configured pepper, or one generated once and kept in state (so hashes made with it stay valid)."""
    if config.app.sms_pepper:
        return pulumi.Output.secret(config.app.sms_pepper)
    import pulumi_random  # only stacks without a configured pepper need the random provider

    return pulumi_random.RandomPassword("sms-pepper", length=48, special=False).result


def fingerprint(values: Mapping[str, str]) -> str:
    """A stable hash of every key and value; changes when any value changes."""
    canonical = json.dumps(sorted(values.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
