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
from pulumi.dynamic import CheckFailure, CreateResult, Resource

from components import credentials
from components.netlify.api import JSON, NetlifyApiError
from components.netlify.env_listing import forget, site_env
from components.netlify.provider import netlify_client
from components.netlify.site_binding import Binding, Unreachable, binding_problem, require_binding, switch_problem
from components.provider_base import (
    DeclaredProvider,
    computed,
    connection,
    endpoint,
    guard,
    identity,
    lower,
    mutable,
    sorted_list,
)

# Every scope Netlify knows (a check, not a choice: the site component picks its own).
NETLIFY_SCOPES = ("builds", "functions", "runtime", "post-processing")
CHANGED_MARKER = "<changed outside Pulumi at {stamp}>"
ADDRESS_KEYS = ("api_url", "account_id", "site_id", "key")  # what every call needs


def _binding(props: dict[str, Any]) -> Binding | None:
    fields = [props.get(k) for k in ("api_url", "account_id", "site_id", "site_url")]
    if not all(isinstance(field, str) and field for field in fields):
        return None  # unknown during preview, or a stack written before bindings were checked
    return Binding(*(str(field) for field in fields))


def _site_problem(olds: dict[str, Any], news: dict[str, Any]) -> str | None:
    """At preview: refuse another site than the one managed, or a site that is not ours."""
    binding = _binding(news)
    same = olds and all(str(olds.get(k)).lower() == str(news.get(k)).lower() for k in ("site_id", "account_id"))
    if binding is None or same:
        return None
    switch = switch_problem(str(olds.get("site_id") or ""), binding, str(news.get("site_move_from") or ""))
    if switch:
        return switch
    try:
        return binding_problem(binding)
    except Unreachable:
        return None  # a preview may run offline; create checks again before writing anything


def _production(props: dict[str, Any]) -> Any:
    return dict(props.get("values") or {}).get("production")


def env_body(props: dict[str, Any]) -> JSON:
    """The API's body for a variable from its key, scopes, is_secret and values by context."""
    return {
        "key": props["key"],
        "scopes": list(props["scopes"]),
        "is_secret": bool(props["is_secret"]),
        "values": [{"context": context, "value": value} for context, value in sorted(props["values"].items())],
    }


class EnvVarProvider(DeclaredProvider):
    FIELDS = (
        # What identifies the remote variable. How we reach it (API base, account spelling) is
        # not identity: a change there updates state and calls nothing, so it can never turn
        # into "create the same variable, then delete it".
        identity("site_id"),
        identity("key"),
        connection("api_url", normalize=endpoint),
        connection("account_id", normalize=lower),
        mutable("is_secret"),
        mutable("scopes", normalize=sorted_list),
        mutable("values"),
        # Checked before the first write and whenever the site changes; never a diff of their own.
        guard("site_url"),
        guard("site_move_from", normalize=lower),
        # Which deploy context gets what ("production value", "test value (previewStripeSecretKey)",
        # "no value"): plain words for the preview, never a value; follows `values`.
        guard("sources"),
        computed("updated_at"),
        # Netlify's stamp of the write that gave `production` its current value: a deploy created
        # before it runs with an earlier value (live_secrets.py). Other writes leave it.
        # A state from before it: its last write is the best bound known (live_secrets.py).
        computed("value_since", backfill=lambda state: state.get("updated_at") or ""),
    )

    def outputs(self, props: dict[str, Any], remote: JSON, olds: dict[str, Any] | None = None) -> dict[str, Any]:
        stamp = remote.get("updated_at", "")
        since = stamp
        if olds is not None and _production(olds) == _production(props):
            # State written before `value_since` existed: its last write is the best bound known.
            since = olds.get("value_since") or olds.get("updated_at") or stamp
        return {**self.inputs_of(props), "updated_at": stamp, "value_since": since}

    def validate(self, olds: dict[str, Any], news: dict[str, Any]) -> list[CheckFailure]:
        failures = [
            CheckFailure("scopes", f"unknown scope {scope!r}; allowed: {', '.join(NETLIFY_SCOPES)}")
            for scope in news.get("scopes", [])
            if scope not in NETLIFY_SCOPES
        ]
        if not news.get("values"):
            failures.append(CheckFailure("values", "at least one deploy context needs a value"))
        problem = _site_problem(olds, news)
        if problem:
            failures.append(CheckFailure("site_id", problem))
        return failures

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
        return CreateResult(f"{site_id}/{key}", self.outputs(props, created))

    def update_remote(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        api_url, account_id, site_id, key = (news[k] for k in ADDRESS_KEYS)
        forget(api_url, site_id)
        with netlify_client(api_url) as client:
            updated = client.upsert_env(account_id, site_id, key, env_body(news))
        return self.outputs(news, updated, olds)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        api_url, account_id, site_id, key = (props[k] for k in ADDRESS_KEYS)
        if credentials.leaving_netlify_site(site_id):
            # A move to another site replaces every variable; the old site keeps its copy
            # until someone deletes it there on purpose.
            return
        forget(api_url, site_id)
        with netlify_client(api_url) as client:
            client.delete_env(account_id, site_id, key)

    def read_remote(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        api_url, account_id, site_id, key = (props[k] for k in ADDRESS_KEYS)
        remote = site_env(api_url, account_id, site_id).get(key)
        if remote is None:
            return None
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
        return {
            "is_secret": bool(remote.get("is_secret")),
            "scopes": sorted(remote.get("scopes") or []),
            "values": values,
            "updated_at": stamp,
        }


class EnvVar(Resource, module="netlify", name="EnvVar"):
    """One site environment variable; `values` maps deploy context -> value."""

    updated_at: pulumi.Output[str]
    value_since: pulumi.Output[str]

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
        sources: dict[str, str] | None = None,
        keep_secret: bool | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Encrypted in Pulumi where the variable is a Netlify secret or the operator stored it with
        # --secret (`keep_secret`); a plain flag stays readable in a preview.
        hidden = is_secret or bool(keep_secret)
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["values"]) if hidden else None
        provider = EnvVarProvider
        inputs = {
            "api_url": api_url,
            "account_id": account_id,
            "site_id": site_id,
            "site_url": site_url,
            "site_move_from": site_move_from or "",
            "key": key,
            "values": pulumi.Output.secret(values) if hidden else values,
            "is_secret": is_secret,
            "scopes": sorted(scopes),
            "sources": sources or {},
        }
        super().__init__(
            provider(),
            resource_name,
            provider.declared_inputs(inputs),
            pulumi.ResourceOptions.merge(provider.options(opts), secret_opts),
        )
