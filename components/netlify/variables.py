"""The Netlify variables the site's functions read, derived from the typed config.

Pure data: which keys exist, which are secret, and their values. Keeping it apart
from the component makes "what will be set" testable without an engine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.stack_config import StackConfig

if TYPE_CHECKING:
    # `sfops verify` reads which variables exist without the engine: pulumi (~0.45 s) and the
    # generated-secret resource load only where a value is wrapped or a pepper generated.
    import pulumi

# The scopes our variables get: functions read them at run time, builds to bundle.
SITE_SCOPES = ("builds", "functions", "runtime")


@dataclass(frozen=True)
class SiteVariable:
    key: str
    value: pulumi.Input[str]
    secret: bool
    # A secret that verifies what a sender signs: on rotation the site accepts old and
    # new until the new one is live (see components/netlify/secret_handover.py).
    handover: bool = False


def site_variables(
    config: StackConfig, sms_pepper: pulumi.Input[str], stripe_webhook_secret: pulumi.Input[str] | None = None
) -> list[SiteVariable]:
    """Each variable with the config key it comes from: a value the operator stored with
    `--secret` is a secret variable, whatever the key (the key list only sets the floor)."""
    import pulumi

    app = config.app

    def variable(key: str, value: pulumi.Input[str], config_key: str) -> SiteVariable:
        secret = config.is_secret(config_key)
        return SiteVariable(key, pulumi.Output.secret(value) if secret else value, secret=secret)

    variables = [
        variable("SUPABASE_URL", app.supabase_url, "supabaseUrl"),
        variable("SUPABASE_ANON_KEY", app.supabase_anon_key, "supabaseAnonKey"),
        variable("SUPABASE_SERVICE_ROLE_KEY", app.supabase_service_role_key, "supabaseServiceRoleKey"),
        variable("STRIPE_SECRET_KEY", app.stripe_secret_key, "stripeSecretKey"),
        variable("SMS_PEPPER", sms_pepper, "smsPepper"),
    ]
    if stripe_webhook_secret is not None:
        secret = pulumi.Output.secret(stripe_webhook_secret)
        variables.append(SiteVariable("STRIPE_WEBHOOK_SECRET", secret, secret=True, handover=True))
    if app.twilio is not None:
        variables += [
            variable("TWILIO_ACCOUNT_SID", app.twilio.account_sid, "twilioAccountSid"),
            variable("TWILIO_AUTH_TOKEN", app.twilio.auth_token, "twilioAuthToken"),
            variable("TWILIO_FROM_NUMBER", app.twilio.from_number, "twilioFromNumber"),
        ]
    variables += [variable(name, "true" if enabled else "false", name) for name, enabled in config.flags.items()]
    return variables


def sms_pepper(config: StackConfig) -> pulumi.Input[str]:
    """The configured pepper, or one generated once and kept in state (so hashes made with it stay valid)."""
    if config.app.sms_pepper:
        return config.app.sms_pepper
    from components.generated_secret import GeneratedSecret

    return GeneratedSecret("sms-pepper", length=48).result


def fingerprint(values: Mapping[str, str]) -> str:
    """A stable hash of every key and value; changes when any value changes."""
    canonical = json.dumps(sorted(values.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
