"""`netlify:EnvInventory`: reports the site's variables that nobody declared in code.

Only declared keys are managed; keys someone set by hand are never deleted, but
they are reported: `unmanaged_keys` is an output of every `up` and of every
refresh (a refresh that finds a new one shows the output change, so the drift
check names it), while `up` leaves them alone.

A key dropped from the declared set is retired here, on update, rather than only by
the engine's delete of its `EnvVar` (which comes at the very end of an update): the
production build depends on this resource, so the build no longer carries it.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from components.netlify.env_listing import forget, site_env
from components.netlify.provider import NetlifyProvider, netlify_client


def _unmanaged(props: dict[str, Any]) -> list[str]:
    remote = site_env(props["api_url"], props["account_id"], props["site_id"])
    return sorted(set(remote) - set(props["declared_keys"]))


class EnvInventoryProvider(NetlifyProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Hand-made keys are reported, never acted on, so they alone never make a diff.
        keys = ("api_url", "account_id", "site_id", "declared_keys")
        changed = [k for k in keys if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['site_id']}/env-inventory", {**props, "unmanaged_keys": _unmanaged(props)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if olds.get("site_id") == news.get("site_id"):
            dropped = sorted(set(olds.get("declared_keys") or []) - set(news["declared_keys"]))
            if dropped:
                with netlify_client(news["api_url"]) as client:
                    for key in dropped:
                        client.delete_env(news["account_id"], news["site_id"], key)
                forget(news["api_url"], news["site_id"])
        return UpdateResult({**news, "unmanaged_keys": _unmanaged(news)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        observed = {k: props.get(k) for k in ("api_url", "account_id", "site_id", "declared_keys")}
        unmanaged = _unmanaged({**props, **observed})
        inputs: dict[str, Any] = {**observed, "unmanaged_keys": []}
        return ReadResult(id_, {**observed, "unmanaged_keys": unmanaged}, inputs=inputs)


class EnvInventory(Resource, module="netlify", name="EnvInventory"):
    unmanaged_keys: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        *,
        api_url: pulumi.Input[str],
        account_id: pulumi.Input[str],
        site_id: pulumi.Input[str],
        declared_keys: list[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            EnvInventoryProvider(),
            resource_name,
            {
                "api_url": api_url,
                "account_id": account_id,
                "site_id": site_id,
                "declared_keys": sorted(declared_keys),
                "unmanaged_keys": [],
            },
            opts,
        )
