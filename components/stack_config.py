"""Typed stack configuration, validated once at the edge.

`load_stack_config` turns the raw `soundfactory:*` config into a frozen
`StackConfig`, collecting every problem into one `ConfigError` whose lines name
the key, what is wrong, and the fix. Nothing downstream re-validates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from components.backups.config import PLAIN_KEYS as BACKUP_PLAIN_KEYS
from components.backups.config import SECRET_KEYS as BACKUP_SECRET_KEYS
from components.backups.config import BackupConfig, parse_backup_config
from components.feature_flags import FLAG_NAMES, FLAGS

PROJECT = "soundfactory"
BOOLEAN_WORDS = {"true": True, "false": False}
DEPLOY_CONTEXTS = ("production", "deploy-preview", "branch-deploy", "dev")
_SITE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DEPLOY_ID = re.compile(r"^[0-9a-f]{24}$")
_ACCOUNT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# Keys this program reads. Anything else under `soundfactory:` is a typo or a flag
# nobody declared, and is refused rather than silently ignored.
PLAIN_KEYS = frozenset(
    {
        "netlifyAccountId",
        "netlifySiteId",
        "netlifyApiUrl",
        "siteUrl",
        "supabaseUrl",
        "twilioAccountSid",
        "twilioFromNumber",
        "pinnedDeploy",
        "envContexts",
        "waitForDeploy",
        "deployTimeoutSeconds",
        "stripeApiUrl",
        "s3EndpointUrl",
        "backupBucket",
    }
)
SECRET_KEYS = frozenset(
    {
        "netlifyToken",
        "supabaseAnonKey",
        "supabaseServiceRoleKey",
        "stripeSecretKey",
        "smsPepper",
        "twilioAuthToken",
    }
)
# Backups: the keys live with their parser (components/backups/config.py).
PLAIN_KEYS |= BACKUP_PLAIN_KEYS
SECRET_KEYS |= BACKUP_SECRET_KEYS
KNOWN_KEYS = PLAIN_KEYS | SECRET_KEYS | FLAG_NAMES


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
class NetlifyConfig:
    account_id: str
    site_id: str
    api_url: str
    site_url: str
    env_contexts: tuple[str, ...]
    wait_for_deploy: bool
    deploy_timeout_s: int
    pinned_deploy: str | None


@dataclass(frozen=True)
class AppSecrets:
    """Values the site's functions read. Secret ones stay Pulumi secrets downstream."""

    supabase_url: str
    supabase_anon_key: str
    supabase_service_role_key: str
    stripe_secret_key: str
    sms_pepper: str | None  # None: generate once and keep it stable
    twilio: TwilioConfig | None


@dataclass(frozen=True)
class StackConfig:
    netlify: NetlifyConfig
    app: AppSecrets
    flags: Mapping[str, bool]
    stripe_api_url: str
    s3_endpoint_url: str
    backup_bucket: str
    backups: BackupConfig | None = None  # None: backupsEnabled is false


def _strip_namespace(raw: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if namespace == PROJECT:
            values[name] = value
    return values


def _parse_bool(key: str, value: str, problems: list[str]) -> bool:
    word = value.strip().lower()
    if word not in BOOLEAN_WORDS:
        problems.append(
            f"{key}: {value!r} is not a boolean; allowed values: true, false (fix: pulumi config set {key} true|false)"
        )
        return False
    return BOOLEAN_WORDS[word]


def _url(key: str, value: str, problems: list[str]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"{key}: {value!r} is not an http(s) URL (fix: pulumi config set {key} https://...)")
    return value.rstrip("/")


def load_stack_config(
    raw: Mapping[str, str], secret_keys: Iterable[str] | None = None, stack_name: str = ""
) -> StackConfig:
    """Validate raw config (`project:key` -> string, as the engine passes it).

    `secret_keys` lists the keys stored encrypted; when given, a secret setting
    stored in plain text is refused (it would sit in clear in the stack file).
    """
    values = _strip_namespace(raw)
    problems: list[str] = []

    if secret_keys is not None:
        encrypted = set(_strip_namespace({key: "" for key in secret_keys}))
        for key in sorted(SECRET_KEYS & set(values) - encrypted):
            if values[key]:
                problems.append(
                    f"{key}: stored in plain text but must be a secret "
                    f"(fix: pulumi config rm {key} && pulumi config set --secret {key})"
                )

    for key in sorted(set(values) - KNOWN_KEYS):
        declared = ", ".join(sorted(FLAG_NAMES))
        problems.append(
            f"{key}: unknown config key; declared feature flags are {declared} "
            f"(fix: pulumi config rm {key}, or declare the flag in components/feature_flags.py)"
        )

    def required(key: str, hint: str) -> str:
        value = values.get(key, "").strip()
        if not value:
            secret = " --secret" if key in SECRET_KEYS else ""
            problems.append(f"{key}: required but not set (fix: pulumi config set{secret} {key} <{hint}>)")
        return value

    def required_url(key: str, hint: str) -> str:
        value = required(key, hint)
        return _url(key, value, problems) if value else value

    flags = {
        flag.name: _parse_bool(flag.name, values[flag.name], problems) if flag.name in values else flag.default
        for flag in FLAGS
    }

    account_id = required("netlifyAccountId", "team slug")
    if account_id and not _ACCOUNT.match(account_id):
        problems.append(
            f"netlifyAccountId: {account_id!r} is not a Netlify team slug (lowercase letters, digits, dashes)"
        )
    site_id = required("netlifySiteId", "site API id, a UUID")
    if site_id and not _SITE_ID.match(site_id):
        problems.append(
            f"netlifySiteId: {site_id!r} is not a Netlify site id; expected the site's API ID, "
            "a lowercase UUID like 3f1c2e4a-1b2c-4d5e-8f90-123456789abc (Site settings > General)"
        )

    pinned = values.get("pinnedDeploy", "").strip() or None
    if pinned is not None and not _DEPLOY_ID.match(pinned):
        problems.append(
            f"pinnedDeploy: {pinned!r} is not a Netlify deploy id (24 lowercase hex characters); "
            "list ready production deploys with scripts/netlify-deploys (or the Netlify UI), "
            "or release the pin with: pulumi config rm pinnedDeploy"
        )

    contexts = tuple(c.strip() for c in values.get("envContexts", ",".join(DEPLOY_CONTEXTS)).split(",") if c.strip())
    for context in contexts:
        if context not in DEPLOY_CONTEXTS:
            problems.append(f"envContexts: unknown deploy context {context!r}; allowed: {', '.join(DEPLOY_CONTEXTS)}")
    if "production" not in contexts:
        problems.append("envContexts: must include production (the functions of the live site read it)")
    if len(set(contexts)) != len(contexts):
        problems.append("envContexts: lists a context twice")

    wait = _parse_bool("waitForDeploy", values.get("waitForDeploy", "true"), problems)
    timeout_raw = values.get("deployTimeoutSeconds", "900")
    try:
        timeout = int(timeout_raw)
        if not 30 <= timeout <= 3600:
            raise ValueError
    except ValueError:
        timeout = 900
        problems.append(f"deployTimeoutSeconds: {timeout_raw!r} must be a whole number of seconds from 30 to 3600")

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
            problems.append("twilioAccountSid: expected 'AC' followed by 32 hex characters")
        if not re.match(r"^\+[1-9][0-9]{6,14}$", twilio.from_number):
            problems.append("twilioFromNumber: expected an E.164 number such as +12125550123")
    elif not flags["USE_SUPABASE_PHONE_OTP"]:
        missing = [k for k, v in twilio_values.items() if not v]
        problems.append(
            "USE_SUPABASE_PHONE_OTP is false, so the custom SMS functions need Twilio, but "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set "
            "(fix: set them, twilioAuthToken with --secret, or: pulumi config set USE_SUPABASE_PHONE_OTP true)"
        )

    stack = StackConfig(
        netlify=NetlifyConfig(
            account_id=account_id,
            site_id=site_id,
            api_url=_url("netlifyApiUrl", values.get("netlifyApiUrl", "https://api.netlify.com/api/v1"), problems),
            site_url=required_url("siteUrl", "https://your-site"),
            env_contexts=contexts,
            wait_for_deploy=wait,
            deploy_timeout_s=timeout,
            pinned_deploy=pinned,
        ),
        app=AppSecrets(
            supabase_url=supabase_url,
            supabase_anon_key=required("supabaseAnonKey", "anon key"),
            supabase_service_role_key=required("supabaseServiceRoleKey", "service role key"),
            stripe_secret_key=required("stripeSecretKey", "sk_live_... or sk_test_..."),
            sms_pepper=values.get("smsPepper") or None,
            twilio=twilio,
        ),
        flags=flags,
        stripe_api_url=_url("stripeApiUrl", values.get("stripeApiUrl", "https://api.stripe.com"), problems),
        s3_endpoint_url=_url("s3EndpointUrl", values.get("s3EndpointUrl", "https://s3.amazonaws.com"), problems),
        backup_bucket=values.get("backupBucket", "").strip(),
        backups=parse_backup_config(values, problems, stack_name),
    )
    secret_key = stack.app.stripe_secret_key
    if secret_key and not re.match(r"^(sk|rk)_(live|test)_[0-9A-Za-z]+$", secret_key):
        problems.append("stripeSecretKey: expected a Stripe secret key (sk_live_..., sk_test_... or rk_...)")
    if problems:
        raise ConfigError(problems)
    return stack
