"""The Netlify section of the stack config: which team, site and API, and how to deploy.

Parsed once by `components.stack_config.load_stack_config`, which hands this module the
`soundfactory:` values and a list to append problems to (each names the key and the fix).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from components.config_values import Problems, control_character, parse_bool, parse_url

DEFAULT_API_URL = "https://api.netlify.com/api/v1"
DEPLOY_CONTEXTS = ("production", "deploy-preview", "branch-deploy", "dev")
_SITE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DEPLOY_ID = re.compile(r"^[0-9a-f]{24}$")
# A deploy id inside what an operator may paste: the UI's deploy page
# (app.netlify.com/sites/<name>/deploys/<id>) or a deploy permalink (<id>--<name>.netlify.app).
_DEPLOY_ID_IN_URL = re.compile(r"(?:/deploys/|//)([0-9a-f]{24})(?:--|/|$|\?)")
_ACCOUNT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# Netlify Functions run on AWS Lambda, which allows 4 KiB for all of a function's environment
# (keys and values); a deploy over it fails. Part of it goes to what the stack generates (the SMS
# pepper, the Stripe signing secret, twice during a rotation) and to Netlify's own URL, SITE_ID,
# SITE_NAME: the config's own values must fit in the rest.
FUNCTION_ENV_LIMIT = 4096
RESERVED_FOR_GENERATED = 512

PLAIN_KEYS = frozenset(
    {
        "netlifyAccountId",
        "netlifySiteId",
        "netlifyApiUrl",
        "netlifySiteMoveFrom",
        "siteUrl",
        "pinnedDeploy",
        "envContexts",
        "waitForDeploy",
        "deployTimeoutSeconds",
    }
)
SECRET_KEYS = frozenset({"netlifyToken"})


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
    # Set on purpose to move the stack from that site to `site_id`; see README.
    site_move_from: str | None = None


def deploy_id_from(value: str) -> str | None:
    """The deploy id an operator meant: the id itself, or the id inside a pasted deploy URL."""
    text = value.strip().lower()
    if _DEPLOY_ID.match(text):
        return text
    found = _DEPLOY_ID_IN_URL.search(text)
    return found.group(1) if found else None


def _contexts(raw: str, problems: Problems) -> tuple[str, ...]:
    contexts = tuple(c.strip() for c in raw.split(","))
    allowed = ", ".join(DEPLOY_CONTEXTS)
    fix = f"(fix: pulumi config set envContexts {','.join(DEPLOY_CONTEXTS)})"
    if not any(contexts):
        problems.append(f"envContexts: empty; list the deploy contexts that get the variables, from {allowed} {fix}")
        return ()
    for context in contexts:
        if not context:
            problems.append(f"envContexts: {raw!r} has an empty entry (a stray comma) {fix}")
        elif context not in DEPLOY_CONTEXTS:
            problems.append(f"envContexts: unknown deploy context {context!r}; allowed: {allowed} {fix}")
    if "production" not in contexts:
        problems.append(f"envContexts: must include production (the functions of the live site read it) {fix}")
    twice = sorted({c for c in contexts if c and contexts.count(c) > 1})
    if twice:
        problems.append(f"envContexts: lists {', '.join(twice)} more than once {fix}")
    return tuple(c for c in dict.fromkeys(contexts) if c)


def _timeout(raw: str, problems: Problems) -> int:
    try:
        timeout = int(raw.strip())
    except ValueError:
        timeout = 0
    if not 30 <= timeout <= 3600:
        problems.append(
            f"deployTimeoutSeconds: {raw!r} must be a whole number of seconds from 30 to 3600 "
            "(fix: pulumi config set deployTimeoutSeconds 900)"
        )
        return 900
    return timeout


def parse_netlify_config(
    values: Mapping[str, str], problems: Problems, required: Callable[[str, str], str]
) -> NetlifyConfig:
    account_id = required("netlifyAccountId", "team slug").lower()
    if account_id and not _ACCOUNT.match(account_id):
        problems.append(
            f"netlifyAccountId: {account_id!r} is not a Netlify team slug (letters, digits, dashes; "
            "Team settings > General > Team details)"
        )
    site_id = required("netlifySiteId", "site API id, a UUID").lower()
    if site_id and not _SITE_ID.match(site_id):
        problems.append(
            f"netlifySiteId: {site_id!r} is not a Netlify site id; expected the site's API ID, "
            "a UUID like 3f1c2e4a-1b2c-4d5e-8f90-123456789abc (Site configuration > General > Site details)"
        )
    move_from = values.get("netlifySiteMoveFrom", "").strip().lower() or None
    if move_from is not None and not _SITE_ID.match(move_from):
        problems.append(f"netlifySiteMoveFrom: {move_from!r} is not a Netlify site id (the UUID of the old site)")

    pinned_raw = values.get("pinnedDeploy", "").strip()
    pinned = deploy_id_from(pinned_raw) if pinned_raw else None
    if pinned_raw and pinned is None:
        problems.append(
            f"pinnedDeploy: {pinned_raw!r} is not a Netlify deploy id (24 hex characters, the last part of a "
            "deploy's URL in Netlify UI > Deploys); `pulumi stack output publishedDeployId` shows the live one. "
            "Release the pin with: pulumi config rm pinnedDeploy"
        )

    site_url = required("siteUrl", "https://your-site")
    return NetlifyConfig(
        account_id=account_id,
        site_id=site_id,
        api_url=parse_url("netlifyApiUrl", values.get("netlifyApiUrl", DEFAULT_API_URL), problems),
        site_url=parse_url("siteUrl", site_url, problems) if site_url else "",
        env_contexts=_contexts(values.get("envContexts", ",".join(DEPLOY_CONTEXTS)), problems),
        wait_for_deploy=parse_bool("waitForDeploy", values.get("waitForDeploy", "true"), problems),
        deploy_timeout_s=_timeout(values.get("deployTimeoutSeconds", "900"), problems),
        pinned_deploy=pinned,
        site_move_from=move_from,
    )


def netlify_value_problems(values: list[tuple[str, str, str]], problems: Problems) -> None:
    """Check every (config key, Netlify key, value) bound for the site's variables before any of it is sent.

    Values are never repeated in a message: most of them are secrets."""
    total = 0
    for config_key, env_key, value in values:
        where = control_character(value)
        # One problem per key: a URL's own parser has already named it.
        if where is not None and not any(problem.startswith(f"{config_key}:") for problem in problems):
            problems.append(
                f"{config_key}: contains {where}; Netlify would store it in {env_key} as it is "
                f"(fix: pulumi config set {config_key} again, as one line without it)"
            )
        total += len(env_key) + len(value.encode())
    budget = FUNCTION_ENV_LIMIT - RESERVED_FOR_GENERATED
    if total > budget:
        largest = sorted(values, key=lambda item: -len(item[2].encode()))[:3]
        named = ", ".join(f"{key} ({len(value.encode())} bytes)" for key, _env, value in largest)
        problems.append(
            f"the site's function variables add up to {total} bytes; Netlify Functions (AWS Lambda) allow "
            f"{FUNCTION_ENV_LIMIT} for all of them and {RESERVED_FOR_GENERATED} are kept for generated secrets "
            f"and Netlify's own; the largest: {named} (fix: check that these are the values you meant)"
        )
