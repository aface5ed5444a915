"""Typed stack configuration, validated once at the edge.

`load_stack_config` turns the raw `soundfactory:*` config into a frozen
`StackConfig`, collecting every problem into one `ConfigError` whose lines name
the key, what is wrong, and the fix. Nothing downstream re-validates.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from components.backups.config import PLAIN_KEYS as BACKUP_PLAIN_KEYS
from components.backups.config import SECRET_KEYS as BACKUP_SECRET_KEYS
from components.backups.config import BackupConfig, parse_backup_config
from components.config_values import parse_bool, parse_url
from components.feature_flags import FLAG_NAMES, FLAGS
from components.netlify import config as netlify_config
from components.netlify.config import NetlifyConfig
from components.stripe import config as stripe_config
from components.stripe.config import StripeConfig

PROJECT = "soundfactory"
PROTECTED_STACK = "prod"  # protectResources defaults to true here
# Namespaces whose keys the engine itself reads; every other key must be ours.
ENGINE_NAMESPACES = frozenset({"pulumi"})

# Keys this program reads. Anything else under `soundfactory:` is a typo or a flag
# nobody declared, and is refused rather than silently ignored.
PLAIN_KEYS = (
    netlify_config.PLAIN_KEYS
    | BACKUP_PLAIN_KEYS
    | stripe_config.PLAIN_KEYS
    | frozenset(
        {
            "supabaseUrl",
            # Public by design (it ships in the browser bundle): a Pulumi secret or not, as the operator likes.
            "supabaseAnonKey",
            "previewSupabaseUrl",
            "previewSupabaseAnonKey",
            "twilioAccountSid",
            "twilioFromNumber",
            "twilioApiUrl",
            "s3EndpointUrl",
            "backupBucket",
            "protectResources",
        }
    )
)
SECRET_KEYS = (
    netlify_config.SECRET_KEYS
    | BACKUP_SECRET_KEYS
    | stripe_config.SECRET_KEYS
    | frozenset(
        {
            "supabaseServiceRoleKey",
            "previewSupabaseServiceRoleKey",
            "previewStripeSecretKey",
            "smsPepper",
            "twilioAuthToken",
        }
    )
)
KNOWN_KEYS = PLAIN_KEYS | SECRET_KEYS | FLAG_NAMES
# Config values that become the site's Netlify variables (components/netlify/variables.py), checked
# at the edge for what Netlify and the functions' runtime accept.
NETLIFY_BOUND = {
    "supabaseUrl": "SUPABASE_URL",
    "supabaseAnonKey": "SUPABASE_ANON_KEY",
    "supabaseServiceRoleKey": "SUPABASE_SERVICE_ROLE_KEY",
    "stripeSecretKey": "STRIPE_SECRET_KEY",
    "smsPepper": "SMS_PEPPER",
    "twilioAccountSid": "TWILIO_ACCOUNT_SID",
    "twilioAuthToken": "TWILIO_AUTH_TOKEN",
    "twilioFromNumber": "TWILIO_FROM_NUMBER",
}


class ConfigError(Exception):
    """Every problem found in the stack config, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    from_number: str


@dataclass(frozen=True)
class PreviewValues:
    """What deploy previews and branch deploys get instead of production's values: a test-mode
    Stripe key and a non-production Supabase project; a value left out means nothing there."""

    supabase_url: str = ""
    supabase_anon_key: str = ""
    supabase_service_role_key: str = ""
    stripe_secret_key: str = ""


@dataclass(frozen=True)
class AppSecrets:
    """Values the site's functions read. Secret ones stay Pulumi secrets downstream."""

    supabase_url: str
    supabase_anon_key: str
    supabase_service_role_key: str
    stripe_secret_key: str
    sms_pepper: str | None  # None: generate once and keep it stable
    twilio: TwilioConfig | None
    preview: PreviewValues = field(default_factory=PreviewValues)


@dataclass(frozen=True)
class StackConfig:
    netlify: NetlifyConfig
    app: AppSecrets
    flags: Mapping[str, bool]
    stripe: StripeConfig
    s3_endpoint_url: str
    backup_bucket: str
    # Where Twilio's REST API is (the monitor reads the Messages API there).
    twilio_api_url: str
    backups: BackupConfig | None = None  # None: backupsEnabled is false
    # `protect` on what production cannot lose (the Stripe endpoint, managed variables, the
    # bucket, the IAM users): destroy and a rename are refused (README, retiring on purpose).
    protect: bool = False
    # Every key the operator stored encrypted (`pulumi config set --secret`), without
    # namespace: such a value stays secret end to end, whatever the key.
    secret_keys: frozenset[str] = field(default_factory=frozenset)

    def is_secret(self, key: str) -> bool:
        return key in SECRET_KEYS or key in self.secret_keys

    @property
    def stripe_api_url(self) -> str:
        return self.stripe.api_url


def _split(raw: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Our values by bare key, and every key of a namespace nothing here reads."""
    values: dict[str, str] = {}
    foreign: list[str] = []
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if namespace == PROJECT:
            values[name] = value
        elif namespace not in ENGINE_NAMESPACES:
            foreign.append(key)
    return values, sorted(foreign)


def _closest(name: str) -> str:
    by_case = {known.lower(): known for known in KNOWN_KEYS}
    if name.lower() in by_case:
        return by_case[name.lower()]
    matches = difflib.get_close_matches(name, sorted(KNOWN_KEYS), n=1, cutoff=0.6)
    return matches[0] if matches else ""


def _unknown_key_problems(values: Mapping[str, str], foreign: list[str]) -> list[str]:
    problems: list[str] = []
    for key in foreign:
        name = key.partition(":")[2]
        suggestion = _closest(name)
        hint = f"; did you mean {PROJECT}:{suggestion}?" if suggestion else ""
        problems.append(
            f"{key}: no part of this program reads the namespace {key.partition(':')[0]!r}{hint} "
            f"(fix: pulumi config rm {key}" + (f" && pulumi config set {suggestion} <value>)" if suggestion else ")")
        )
    for key in sorted(set(values) - KNOWN_KEYS):
        suggestion = _closest(key)
        hint = f"did you mean {suggestion}? " if suggestion else ""
        problems.append(
            f"{key}: unknown config key; {hint}declared feature flags are {', '.join(sorted(FLAG_NAMES))} "
            f"(fix: pulumi config rm {key}, or declare the flag in components/feature_flags.py)"
        )
    return problems


def _preview_values(values: Mapping[str, str], problems: list[str]) -> PreviewValues:
    """The non-production values; each must not be production's (that would be a leak by another name)."""
    preview = PreviewValues(
        supabase_url=values.get("previewSupabaseUrl", "").strip(),
        supabase_anon_key=values.get("previewSupabaseAnonKey", "").strip(),
        supabase_service_role_key=values.get("previewSupabaseServiceRoleKey", "").strip(),
        stripe_secret_key=values.get("previewStripeSecretKey", "").strip(),
    )
    if preview.supabase_url:
        preview = replace(preview, supabase_url=parse_url("previewSupabaseUrl", preview.supabase_url, problems))
    if preview.stripe_secret_key and not re.match(r"^(sk|rk)_test_", preview.stripe_secret_key):
        problems.append(
            "previewStripeSecretKey: not a test-mode key (sk_test_... or rk_test_...); previews must never hold a "
            "live key (fix: pulumi config set --secret previewStripeSecretKey sk_test_...)"
        )
    if (preview.supabase_anon_key or preview.supabase_service_role_key) and not preview.supabase_url:
        problems.append(
            "previewSupabaseAnonKey/previewSupabaseServiceRoleKey: keys of a preview Supabase project need its URL "
            "(fix: pulumi config set previewSupabaseUrl https://<preview-ref>.supabase.co)"
        )
    for key, production in (
        ("previewSupabaseUrl", "supabaseUrl"),
        ("previewSupabaseServiceRoleKey", "supabaseServiceRoleKey"),
        ("previewStripeSecretKey", "stripeSecretKey"),
    ):
        mine = values.get(key, "").strip().rstrip("/").lower()
        if mine and mine == values.get(production, "").strip().rstrip("/").lower():
            problems.append(
                f"{key}: the same as {production}; previews get a non-production value or none "
                f"(fix: pulumi config rm {key}, or set a test/preview project's value)"
            )
    return preview


def load_stack_config(
    raw: Mapping[str, str], secret_keys: Iterable[str] | None = None, stack_name: str = ""
) -> StackConfig:
    """Validate raw config (`project:key` -> string, as the engine passes it).

    `secret_keys` lists the keys stored encrypted; when given, a secret setting
    stored in plain text is refused (it would sit in clear in the stack file).
    """
    values, foreign = _split(raw)
    encrypted = frozenset(_split({key: "" for key in secret_keys or ()})[0])
    problems: list[str] = []

    if secret_keys is not None:
        for key in sorted(SECRET_KEYS & set(values) - encrypted):
            if values[key]:
                problems.append(
                    f"{key}: stored in plain text but must be a secret "
                    f"(fix: pulumi config rm {key} && pulumi config set --secret {key})"
                )
    problems += _unknown_key_problems(values, foreign)

    def required(key: str, hint: str) -> str:
        value = values.get(key, "").strip()
        if not value:
            secret = " --secret" if key in SECRET_KEYS else ""
            problems.append(f"{key}: required but not set (fix: pulumi config set{secret} {key} <{hint}>)")
        return value

    def required_url(key: str, hint: str) -> str:
        value = required(key, hint)
        return parse_url(key, value, problems) if value else value

    flags = {
        flag.name: parse_bool(flag.name, values[flag.name], problems) if flag.name in values else flag.default
        for flag in FLAGS
    }
    netlify = netlify_config.parse_netlify_config(values, problems, required)
    supabase_url = required_url("supabaseUrl", "https://<ref>.supabase.co")

    twilio_values = {k: values.get(k, "").strip() for k in ("twilioAccountSid", "twilioAuthToken", "twilioFromNumber")}
    twilio: TwilioConfig | None = None
    if all(twilio_values.values()):
        twilio = TwilioConfig(
            twilio_values["twilioAccountSid"],
            twilio_values["twilioAuthToken"],
            twilio_values["twilioFromNumber"],
        )
        if not re.match(r"^AC[0-9a-fA-F]{32}$", twilio.account_sid):
            problems.append("twilioAccountSid: expected 'AC' followed by 32 hex characters (Twilio Console > Account)")
        if not re.match(r"^\+[1-9][0-9]{6,14}$", twilio.from_number):
            problems.append("twilioFromNumber: expected an E.164 number such as +12125550123")
    elif not flags["USE_SUPABASE_PHONE_OTP"]:
        missing = [k for k, v in twilio_values.items() if not v]
        problems.append(
            "USE_SUPABASE_PHONE_OTP is false, so the custom SMS functions need Twilio, but "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set "
            "(fix: set them, twilioAuthToken with --secret, or: pulumi config set USE_SUPABASE_PHONE_OTP true)"
        )

    stripe_secret_key = required("stripeSecretKey", "sk_live_... or sk_test_...")
    netlify_config.netlify_value_problems(
        [(key, env_key, values.get(key, "").strip()) for key, env_key in NETLIFY_BOUND.items()], problems
    )
    stack = StackConfig(
        netlify=netlify,
        app=AppSecrets(
            supabase_url=supabase_url,
            supabase_anon_key=required("supabaseAnonKey", "anon key"),
            supabase_service_role_key=required("supabaseServiceRoleKey", "service role key"),
            stripe_secret_key=stripe_secret_key,
            sms_pepper=values.get("smsPepper") or None,
            twilio=twilio,
            preview=_preview_values(values, problems),
        ),
        flags=flags,
        stripe=stripe_config.parse_stripe_config(values, problems, stack_name, netlify.site_url, stripe_secret_key),
        s3_endpoint_url=parse_url("s3EndpointUrl", values.get("s3EndpointUrl", "https://s3.amazonaws.com"), problems),
        backup_bucket=values.get("backupBucket", "").strip(),
        twilio_api_url=parse_url("twilioApiUrl", values.get("twilioApiUrl", "https://api.twilio.com"), problems),
        secret_keys=encrypted,
        backups=parse_backup_config(values, problems, stack_name),
        protect=parse_bool(
            "protectResources", values.get("protectResources") or str(stack_name == PROTECTED_STACK).lower(), problems
        ),
    )
    if problems:
        raise ConfigError(problems)
    return stack
