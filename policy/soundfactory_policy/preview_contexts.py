"""Production credentials reach the `production` deploy context only.

Deploy previews and branch deploys build pull request code, so whatever they can read, the
author of the pull request can read: they get declared test values or nothing. A value that
applies to `all` contexts reaches them too. Refused: a credential with production's value
outside production, a live Stripe key outside production, and PROCESS_COMMISSIONS=true
outside production (a preview must not act on live payments).
"""

from __future__ import annotations

import re

from pulumi_policy import ResourceValidationArgs

from soundfactory_policy.policy_kit import mandatory_policy
from soundfactory_policy.resources import ENV_VAR, context_values
from soundfactory_policy.secret_variables import SECRET_KEY_WORDS, SECRET_KEYS

PRODUCTION = "production"
LIVE_STRIPE_KEY = re.compile(r"^(sk|rk)_live_")
PRODUCTION_ONLY_TRUE = frozenset({"PROCESS_COMMISSIONS"})


def context_problems(key: str, values: dict[str, object]) -> list[str]:
    production = values.get(PRODUCTION)
    elsewhere = {context: value for context, value in values.items() if context != PRODUCTION}
    problems: list[str] = []
    for context, value in sorted(elsewhere.items()):
        where = "every context" if context == "all" else f"the {context!r} context"
        if (key in SECRET_KEYS or SECRET_KEY_WORDS.search(key)) and (value == production or context == "all"):
            problems.append(
                f"{key}: production's credential reaches {where}, where pull request code runs "
                "(fix: a test value, or none, outside production)"
            )
        elif isinstance(value, str) and LIVE_STRIPE_KEY.match(value):
            problems.append(f"{key}: a live Stripe key in {where} (fix: a test-mode key sk_test_..., or none)")
        elif key in PRODUCTION_ONLY_TRUE and value == "true":
            problems.append(
                f"{key}=true in {where}: a preview would act on live events (fix: false outside production)"
            )
    return problems


def _problems(args: ResourceValidationArgs) -> list[str]:
    return context_problems(str(args.props.get("key", args.name)), context_values(args.props))


production_secrets_stay_in_production = mandatory_policy(
    "production-secrets-stay-in-production",
    "Deploy previews and branch deploys get no production credential, no live key, no PROCESS_COMMISSIONS=true.",
    frozenset({ENV_VAR}),
    _problems,
)
