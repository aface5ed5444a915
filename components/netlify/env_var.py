"""`netlify:EnvVar`: one Netlify environment variable of one site, per deploy context.

Refresh economy: one list call per site serves every variable's `read` in a
command (`env_listing`).
Secret values are never readable back, so for them `updated_at` is the drift
signal: a changed stamp turns the stored value into a marker that differs from
the desired one, and the next `up` writes the value again.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from components.netlify.api import JSON, NetlifyApiError
from components.netlify.env_listing import forget, site_env
from components.netlify.provider import NetlifyProvider, leaving_site, netlify_client
from components.netlify.site_binding import Binding, Unreachable, binding_problem, require_binding, switch_problem

# Every scope Netlify knows (a check, not a choice: the site component picks its own).
NETLIFY_SCOPES = ("builds", "functions", "runtime", "post-processing")
CHANGED_MARKER = "<changed outside Pulumi at {stamp}>"
# What identifies the remote variable. How we reach it (API base, account spelling) is
# not identity: a change there updates state and calls nothing, so it can never turn
# into "create the same variable, then delete it".
IDENTITY_KEYS = ("site_id", "key")
CONNECTION_KEYS = ("api_url", "account_id")
ADDRESS_KEYS = ("api_url", "account_id", "site_id", "key")  # what every call needs
UPDATE_KEYS = ("is_secret", "scopes", "values")
# Checked before the first write and whenever the site changes; never a diff of their own.
BINDING_KEYS = ("site_url", "site_move_from")


def _binding(props: dict[str, Any]) -> Binding | None:
    fields = [props.get(k) for k in ("api_url", "account_id", "site_id", "site_url")]
    if not all(isinstance(field, str) and field for field in fields):
        return None  # unknown during preview, or a stack written before bindings were checked
    return Binding(*(str(field) for field in fields))


def _site_problem(olds: dict[str, Any], news: dict[str, Any]) -> str | None:
    """At preview: refuse another site than the one managed, or a site that is not ours."""
    binding = _binding(news)
    if binding is None or (olds and all(olds.get(k) == news.get(k) for k in ("site_id", "account_id"))):
        return None
    switch = switch_problem(str(olds.get("site_id") or ""), binding, str(news.get("site_move_from") or ""))
    if switch:
        return switch
    try:
        return binding_problem(binding)
    except Unreachable:
        return None  # a preview may run offline; create checks again before writing anything


def env_body(props: dict[str, Any]) -> JSON:
    """The API's body for a variable from its key, scopes, is_secret and values by context."""
    return {
        "key": props["key"],
        "scopes": list(props["scopes"]),
        "is_secret": bool(props["is_secret"]),
        "values": [{"context": context, "value": value} for context, value in sorted(props["values"].items())],
    }


def _outputs(props: dict[str, Any], remote: JSON) -> dict[str, Any]:
    return {**props, "updated_at": remote.get("updated_at", "")}


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in (*ADDRESS_KEYS, *UPDATE_KEYS, *BINDING_KEYS) if k in props}


class EnvVarProvider(NetlifyProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [
            CheckFailure("scopes", f"unknown scope {scope!r}; allowed: {', '.join(NETLIFY_SCOPES)}")
            for scope in news.get("scopes", [])
            if scope not in NETLIFY_SCOPES
        ]
        if not news.get("values"):
            failures.append(CheckFailure("values", "at least one deploy context needs a value"))
        problem = _site_problem(olds or {}, news)
        if problem:
            failures.append(CheckFailure("site_id", problem))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in IDENTITY_KEYS if olds.get(k) != news.get(k)]
        changes = replaces + [k for k in (*CONNECTION_KEYS, *UPDATE_KEYS) if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        binding = _binding(props)
        if binding is not None:
            require_binding(binding)
        api_url, account_id, site_id, key = (props[k] for k in ADDRESS_KEYS)
        forget(api_url, site_id)
        with netlify_client(api_url) as client:
            try:
                created = client.create_env(account_id, site_id, [env_body(props)])[0]
            except NetlifyApiError as exc:
                # 409: it exists, from a retried create whose answer was lost or from a
                # hand edit. Converge on the declared value instead of failing or duplicating.
                if exc.status != 409:
                    raise
                created = client.put_env(account_id, site_id, key, env_body(props))
        return CreateResult(f"{site_id}/{key}", _outputs(props, created))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if all(olds.get(k) == news.get(k) for k in UPDATE_KEYS):
            # Only how we reach the variable changed: writing it again would move its
            # `updated_at` and so look like an env change that needs a build.
            return UpdateResult({**news, "updated_at": olds.get("updated_at", "")})
        api_url, account_id, site_id, key = (news[k] for k in ADDRESS_KEYS)
        forget(api_url, site_id)
        with netlify_client(api_url) as client:
            updated = client.upsert_env(account_id, site_id, key, env_body(news))
        return UpdateResult(_outputs(news, updated))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        api_url, account_id, site_id, key = (props[k] for k in ADDRESS_KEYS)
        if leaving_site(site_id):
            # A move to another site replaces every variable; the old site keeps its copy
            # until someone deletes it there on purpose.
            return
        forget(api_url, site_id)
        with netlify_client(api_url) as client:
            client.delete_env(account_id, site_id, key)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        api_url, account_id, site_id, key = (props[k] for k in ADDRESS_KEYS)
        remote = site_env(api_url, account_id, site_id).get(key)
        if remote is None:
            return ReadResult(None, {})
        values: dict[str, str] = {}
        stored = dict(props.get("values") or {})
        stamp = remote.get("updated_at", "")
        unchanged_secret = bool(props.get("is_secret")) and stamp == props.get("updated_at")
        for entry in remote.get("values", []):
            context = entry.get("context", "")
            if "value" in entry:
                values[context] = entry["value"]
            elif unchanged_secret and context in stored:
                values[context] = stored[context]
            else:
                values[context] = CHANGED_MARKER.format(stamp=stamp or "an unknown time")
        observed = {
            **_inputs(props),
            "is_secret": bool(remote.get("is_secret")),
            "scopes": sorted(remote.get("scopes") or []),
            "values": values,
        }
        return ReadResult(id_, {**observed, "updated_at": stamp}, inputs=observed)


class EnvVar(Resource, module="netlify", name="EnvVar"):
    """One site environment variable; `values` maps deploy context -> value."""

    updated_at: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        api_url: pulumi.Input[str],
        account_id: pulumi.Input[str],
        site_id: pulumi.Input[str],
        site_url: pulumi.Input[str],
        site_move_from: str | None,
        key: str,
        values: pulumi.Input[dict[str, pulumi.Input[str]]],
        is_secret: bool,
        scopes: list[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["values"]) if is_secret else None
        super().__init__(
            EnvVarProvider(),
            resource_name,
            {
                "api_url": api_url,
                "account_id": account_id,
                "site_id": site_id,
                "site_url": site_url,
                "site_move_from": site_move_from or "",
                "key": key,
                "values": pulumi.Output.secret(values) if is_secret else values,
                "is_secret": is_secret,
                "scopes": sorted(scopes),
                "updated_at": None,
            },
            pulumi.ResourceOptions.merge(opts, secret_opts),
        )
