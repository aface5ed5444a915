"""Each variable is held by Netlify as what it is: credentials as secret variables (never with
a readable `dev` value), publishable values as plain ones.

The policy engine hands policies plain values (Pulumi's secret marking is not visible to
a validation), so secrets are recognised by key and by the shape of the value. A publishable
value (the Supabase URL and anon key a browser bundle carries) marked secret fails every
build: Netlify's secrets scanning finds a secret variable's value in the build output
(https://docs.netlify.com/build/environment-variables/secrets-controller/#secret-scanning).
"""

from __future__ import annotations

import re

from pulumi_policy import ResourceValidationArgs

from soundfactory_policy.policy_kit import mandatory_policy
from soundfactory_policy.resources import ENV_VAR, context_values

# The variables the site's functions read that are credentials (Netlify's own docs: secret
# values are write-only through the API; a `dev` value stays readable to anyone with CLI access).
SECRET_KEYS = frozenset(
    {
        "SUPABASE_SERVICE_ROLE_KEY",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "SMS_PEPPER",
        "TWILIO_AUTH_TOKEN",
    }
)
# Public by design: shipped to every browser (Supabase's anon key is a JWT, so it looks secret) or
# printed on every message.
PUBLISHABLE_KEYS = frozenset({"SUPABASE_URL", "SUPABASE_ANON_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER"})
SECRET_KEY_WORDS = re.compile(r"SECRET|TOKEN|PASSWORD|PEPPER|PRIVATE_KEY|SERVICE_ROLE")
# Stripe secret/restricted keys and webhook signing secrets, JWTs (Supabase keys), PEM keys.
SECRET_VALUE = re.compile(r"^(sk|rk)_(live|test)_|^whsec_|^eyJ[\w-]+\.[\w-]+\.|-----BEGIN [A-Z ]*PRIVATE KEY-----")
READABLE_SECRET_CONTEXT = "dev"  # noqa: S105 - a context name, not a secret


def variable_problems(key: str, is_secret: bool, values: dict[str, object]) -> list[str]:
    problems: list[str] = []
    if key in PUBLISHABLE_KEYS:
        if is_secret:
            problems.append(
                f"{key} is publishable (the site's front end bundles it) but is a Netlify secret variable: Netlify's "
                "secrets scanning would fail every build that bundles it (fix: is_secret false)"
            )
        return problems
    looks_secret = [
        context for context, value in values.items() if isinstance(value, str) and SECRET_VALUE.search(value)
    ]
    if not is_secret and (key in SECRET_KEYS or SECRET_KEY_WORDS.search(key)):
        problems.append(f"{key} holds a credential but is not a Netlify secret variable (is_secret: false)")
    elif not is_secret and looks_secret:
        problems.append(f"{key} has a secret-looking value in {', '.join(sorted(looks_secret))} but is not secret")
    if is_secret and READABLE_SECRET_CONTEXT in values:
        problems.append(f"{key} is secret but has a 'dev' value, which Netlify keeps readable")
    return problems


def _problems(args: ResourceValidationArgs) -> list[str]:
    key = str(args.props.get("key", args.name))
    return variable_problems(key, args.props.get("is_secret") is True, context_values(args.props))


secret_values_are_secret_variables = mandatory_policy(
    "secret-values-are-secret-variables",
    "Credentials reach Netlify only as secret variables, never with a readable 'dev' value.",
    frozenset({ENV_VAR}),
    _problems,
)
