"""The Netlify variables the site's functions read, derived from the typed config.

Pure data: which keys exist, what each one is, and its value per deploy context. Keeping
it apart from the component makes "what will be set" testable without an engine.

What a variable *is* decides how Netlify holds it, not how the operator stored it in Pulumi
(a value set with `--secret` stays encrypted in Pulumi whatever it is):
- publishable: public by design, shipped to browsers (the Supabase URL and anon key, which a
  Supabase browser client bundles) or printed on every message (the Twilio sender). A plain
  Netlify variable: marked secret, Netlify's secrets scanning finds it in the bundle and fails
  every build (https://docs.netlify.com/build/environment-variables/secrets-controller/).
- secret: a credential. A Netlify secret variable (write-only through the API, scanned for
  in every build) with a value in `production` only: previews and branch deploys run pull
  request code, so they get a declared test value or nothing.
- flag: `true`/`false`, the same in every context except PROCESS_COMMISSIONS, which is
  false outside production (a preview must not pay commissions on live events).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.feature_flags import FLAG_NAMES
from components.stack_config import StackConfig

if TYPE_CHECKING:
    # `sfops verify` reads which variables exist without the engine: pulumi (~0.45 s) and the
    # generated-secret resource load only where a value is wrapped or a pepper generated.
    import pulumi

# The scopes our variables get: functions read them at run time, builds to bundle.
SITE_SCOPES = ("builds", "functions", "runtime")
PRODUCTION = "production"
# Netlify keeps a secret's `dev` value readable (for local development).
READABLE_SECRET_CONTEXT = "dev"  # noqa: S105 - a deploy context, not a password
PRODUCTION_ONLY_FLAGS = {"PROCESS_COMMISSIONS": "false"}


class Kind(enum.Enum):
    PUBLISHABLE = "publishable"
    SECRET = "secret"  # noqa: S105 - a kind of variable
    FLAG = "flag"


KINDS: Mapping[str, Kind] = {
    "SUPABASE_URL": Kind.PUBLISHABLE,
    "SUPABASE_ANON_KEY": Kind.PUBLISHABLE,
    "SUPABASE_SERVICE_ROLE_KEY": Kind.SECRET,
    "STRIPE_SECRET_KEY": Kind.SECRET,
    "STRIPE_WEBHOOK_SECRET": Kind.SECRET,
    "SMS_PEPPER": Kind.SECRET,
    # An account identifier, useless without the auth token; the sender number is on every SMS.
    "TWILIO_ACCOUNT_SID": Kind.PUBLISHABLE,
    "TWILIO_AUTH_TOKEN": Kind.SECRET,
    "TWILIO_FROM_NUMBER": Kind.PUBLISHABLE,
    **dict.fromkeys(FLAG_NAMES, Kind.FLAG),
}


@dataclass(frozen=True)
class SiteVariable:
    key: str
    value: pulumi.Input[str]
    # Kept encrypted in Pulumi (state, previews, outputs): the operator stored it with --secret.
    secret: bool
    # A secret that verifies what a sender signs: on rotation the site accepts old and
    # new until the new one is live (see components/netlify/secret_handover.py).
    handover: bool = False
    # What the site verifies with it, in words for the report of a live deploy without it.
    verifies: str = ""
    # What deploy previews, branch deploys and `dev` get; None: no value there.
    preview_value: pulumi.Input[str] | None = None
    # Where preview_value comes from, for the preview's "which context gets what".
    preview_source: str = ""

    @property
    def kind(self) -> Kind:
        return KINDS[self.key]

    @property
    def netlify_secret(self) -> bool:
        return self.kind is Kind.SECRET


def variable_contexts(variable: SiteVariable, contexts: tuple[str, ...]) -> list[str]:
    """The contexts that get a value: production always; the others only a declared
    non-production value; a secret never `dev` (Netlify keeps that readable)."""
    return [
        context
        for context in contexts
        if context == PRODUCTION
        or (variable.preview_value is not None and not (variable.netlify_secret and context == READABLE_SECRET_CONTEXT))
    ]


def context_values(variable: SiteVariable, contexts: tuple[str, ...]) -> dict[str, pulumi.Input[str]]:
    return {
        context: variable.value if context == PRODUCTION else variable.preview_value  # type: ignore[misc]
        for context in variable_contexts(variable, contexts)
    }


def context_sources(variable: SiteVariable, contexts: tuple[str, ...]) -> dict[str, str]:
    """Which context gets what, in words a preview can show (never a secret's value)."""
    wanted = variable_contexts(variable, contexts)
    return {
        context: ("production value" if context == PRODUCTION else variable.preview_source)
        if context in wanted
        else "no value"
        for context in contexts
    }


def site_variables(
    config: StackConfig, sms_pepper: pulumi.Input[str], stripe_webhook_secret: pulumi.Input[str] | None = None
) -> list[SiteVariable]:
    """Each variable from the config key it comes from; `--secret` on that key keeps it secret in Pulumi."""
    import pulumi

    app, preview = config.app, config.app.preview

    def variable(
        key: str, value: pulumi.Input[str], config_key: str, preview_key: str = "", preview_value: str = ""
    ) -> SiteVariable:
        def kept(raw: pulumi.Input[str], from_key: str) -> pulumi.Input[str]:
            return pulumi.Output.secret(raw) if config.is_secret(from_key) else raw

        return SiteVariable(
            key,
            kept(value, config_key),
            secret=config.is_secret(config_key),
            preview_value=kept(preview_value, preview_key) if preview_value else None,
            preview_source=f"test value ({preview_key})" if preview_value else "",
        )

    variables = [
        variable("SUPABASE_URL", app.supabase_url, "supabaseUrl", "previewSupabaseUrl", preview.supabase_url),
        variable(
            "SUPABASE_ANON_KEY",
            app.supabase_anon_key,
            "supabaseAnonKey",
            "previewSupabaseAnonKey",
            preview.supabase_anon_key,
        ),
        variable(
            "SUPABASE_SERVICE_ROLE_KEY",
            app.supabase_service_role_key,
            "supabaseServiceRoleKey",
            "previewSupabaseServiceRoleKey",
            preview.supabase_service_role_key,
        ),
        variable(
            "STRIPE_SECRET_KEY",
            app.stripe_secret_key,
            "stripeSecretKey",
            "previewStripeSecretKey",
            preview.stripe_secret_key,
        ),
        variable("SMS_PEPPER", sms_pepper, "smsPepper"),
    ]
    if stripe_webhook_secret is not None:
        secret = pulumi.Output.secret(stripe_webhook_secret)
        variables.append(
            SiteVariable(
                "STRIPE_WEBHOOK_SECRET", secret, secret=True, handover=True, verifies="every Stripe webhook event"
            )
        )
    if app.twilio is not None:
        variables += [
            variable("TWILIO_ACCOUNT_SID", app.twilio.account_sid, "twilioAccountSid"),
            variable("TWILIO_AUTH_TOKEN", app.twilio.auth_token, "twilioAuthToken"),
            variable("TWILIO_FROM_NUMBER", app.twilio.from_number, "twilioFromNumber"),
        ]
    for name, enabled in config.flags.items():
        value = "true" if enabled else "false"
        elsewhere = PRODUCTION_ONLY_FLAGS.get(name, value)
        source = "false outside production" if name in PRODUCTION_ONLY_FLAGS else "same as production"
        variables.append(SiteVariable(name, value, secret=False, preview_value=elsewhere, preview_source=source))
    return variables


def sms_pepper(config: StackConfig) -> pulumi.Input[str]:
    """The configured pepper, or one generated once and kept in state (so hashes made with it stay valid)."""
    if config.app.sms_pepper:
        return config.app.sms_pepper
    from components.generated_secret import GeneratedSecret

    return GeneratedSecret("sms-pepper", length=48).result


def fingerprint(variables: Mapping[str, Mapping[str, object]]) -> str:
    """A stable hash of everything a write of a variable changes (and so its `updated_at`):
    the value per context, whether Netlify holds it secret, its scopes."""
    canonical = json.dumps(sorted(variables.items()), separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
