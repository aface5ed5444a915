"""`netlify:PublishedDeploy`: which deploy the site serves, and the rollback pin.

Pinned: restore that deploy (publish it without building) and lock it, so later
builds do not replace it. Unpinned: unlock and publish the newest ready
production deploy. A locked published deploy *is* a pin, so `read` reports a
hand-made rollback or unlock as a change of `pinned_deploy`; an unlocked one that
is not the newest ready production deploy (a hand restore without a lock) shows as
a change of `serving`, and `up` publishes the newest again. When the pin
changes, `check` fills in `publishes`, so the preview says what the site will serve.

Whether the live deploy carries the current value of each secret that verifies a sender
(`live_secrets`, see live_secrets.py) is read on every refresh and recorded by every `up`:
a rollback to a deploy built before the Stripe webhook secret rotated, a hand restore of
one, or a rotation whose build failed leaves a site that refuses every Stripe event. The
refresh then reports it (an alert `sfops drift` shows, and a change that fails
`pulumi preview --refresh --expect-no-changes`) until a deploy that carries the secret is
live; the preview of such a pin says so. A pin is never refused for it: a rollback may be
what the incident needs.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, Resource

from components.http_retry import PREVIEW
from components.netlify import live_secrets
from components.netlify.api import JSON, NetlifyClient
from components.netlify.env_listing import env_by_key, site_env
from components.netlify.provider import netlify_client
from components.provider_base import DeclaredProvider, computed, connection, endpoint, guard, identity, lower, mutable

# Where the preview of a pin says what pinning that deploy does to a rotated secret.
PIN_WARNING = "; WARNING: "


def pin_problem(client: NetlifyClient, site_id: str, deploy_id: str) -> str | None:
    """Why `deploy_id` cannot be pinned, or None when it is a ready production deploy of the site."""
    deploy = client.get_deploy(deploy_id)
    fix = "pick a ready production deploy (Netlify UI > Deploys) or release the pin: pulumi config rm pinnedDeploy"
    if deploy is None or deploy.get("site_id") != site_id:
        return f"pinnedDeploy: no deploy {deploy_id} exists on site {site_id}; {fix}"
    if deploy.get("state") != "ready":
        return f"pinnedDeploy: deploy {deploy_id} is '{deploy.get('state')}', not ready; {fix}"
    if deploy.get("context") != "production":
        return f"pinnedDeploy: deploy {deploy_id} is a {deploy.get('context')} deploy, not production; {fix}"
    return None


def describe(deploy: JSON) -> str:
    details = ", ".join(str(deploy[k]) for k in ("created_at", "title") if deploy.get(k))
    return f"{deploy['id']} ({details})" if details else str(deploy["id"])


def serving_label(pinned: str | None) -> str:
    return f"pinned deploy {pinned}" if pinned else "the newest ready production deploy"


def newest_ready_production(client: NetlifyClient, site_id: str) -> JSON | None:
    deploys = client.list_deploys(site_id, production=True, state="ready")
    ready = [d for d in deploys if d.get("state") == "ready" and d.get("context") == "production"]
    return max(ready, key=lambda d: str(d.get("created_at", "")), default=None)


class PublishedDeployProvider(DeclaredProvider):
    FIELDS = (
        identity("site_id"),
        connection("api_url", normalize=endpoint),
        connection("account_id", normalize=lower),
        mutable("pinned_deploy"),
        mutable("latest_build"),
        mutable("serving"),
        # When each sender-verifying secret got its current value (live_secrets.py): follows the
        # variables' writes, so a rotation updates the record; never read back.
        mutable("secrets", derived=True),
        # Whether the live deploy carries them: found by reading Netlify, a consequence of the pin,
        # a hand restore or a failed build, never a hand change of its own.
        mutable("live_secrets", derived=True),
        # What the preview says the site will serve: information, never a diff of its own.
        guard("publishes"),
        computed("published_deploy_id"),
        computed("locked"),
    )
    DELETE_BEFORE_REPLACE = True  # one published deploy and one lock per site

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = super().check(olds, news)
        return self._describe_publishing(olds, checked.inputs or news, list(checked.failures or []))

    def _describe_publishing(
        self, olds: dict[str, Any], news: dict[str, Any], failures: list[CheckFailure]
    ) -> CheckResult:
        pinned = news.get("pinned_deploy") or ""
        previous = olds or {}
        if pinned == previous.get("pinned_deploy", None) or not isinstance(news.get("site_id"), str):
            return CheckResult({**news, "publishes": previous.get("publishes", "")}, failures)
        # Reads only when the pin changes: a bad id must fail the preview, not the update, and the
        # preview should say which deploy the site will serve.
        if pinned:
            with netlify_client(news["api_url"]) as client:
                problem = pin_problem(client, news["site_id"], pinned)
                if problem:
                    return CheckResult(news, [*failures, CheckFailure("pinned_deploy", problem)])
                deploy = client.get_deploy(pinned) or {"id": pinned}
                publishes = f"pinned deploy {describe(deploy)}, locked" + self._pin_consequence(client, news, deploy)
        else:
            publishes = "the newest ready production deploy"
            try:
                # Informational only: an unreachable API must not fail a preview that changes nothing there.
                with netlify_client(news["api_url"], PREVIEW) as client:
                    newest = newest_ready_production(client, news["site_id"])
                if newest:
                    publishes += f" (now {describe(newest)}; a build started by this update would come after it)"
            except Exception:  # noqa: S110 - the generic description stands
                pass
        return CheckResult({**news, "publishes": publishes}, failures)

    @staticmethod
    def _pin_consequence(client: NetlifyClient, news: dict[str, Any], deploy: JSON) -> str:
        """What the preview of a pin adds when the pinned deploy predates a current secret."""
        secrets = news.get("secrets")
        if not live_secrets.known(secrets) or not isinstance(news.get("account_id"), str):
            return ""  # a stack without such secrets, or records this very update writes
        try:
            listing = env_by_key(client, news["account_id"], news["site_id"])
        except Exception:
            listing = {}  # informational: the recorded times decide alone
        found = live_secrets.assess(deploy, secrets, listing, pinned=True, subject="pinned")
        return "" if found == live_secrets.CURRENT else f"{PIN_WARNING}{found.removeprefix(live_secrets.STALE)}"

    @staticmethod
    def _live_secrets(client: NetlifyClient, props: dict[str, Any], deploy_id: str) -> dict[str, Any]:
        """`live_secrets` as the `up` leaves it: recorded as found, never as declared."""
        secrets = props.get("secrets")
        if not live_secrets.known(secrets) or not deploy_id:
            return {}
        listing = env_by_key(client, props["account_id"], props["site_id"])
        deploy = client.get_deploy(deploy_id)
        pinned = bool(props.get("pinned_deploy"))
        return {"live_secrets": live_secrets.assess(deploy, secrets, listing, pinned=pinned)}

    def _converge(self, props: dict[str, Any]) -> dict[str, Any]:
        site_id, pinned = props["site_id"], props.get("pinned_deploy") or ""
        with netlify_client(props["api_url"]) as client:
            published = client.get_site(site_id).get("published_deploy") or {}
            if pinned:
                problem = pin_problem(client, site_id, pinned)
                if problem:
                    raise ValueError(problem)
                if published.get("id") != pinned:
                    if published.get("locked"):
                        client.unlock_deploy(published["id"])
                    client.restore_deploy(site_id, pinned)
                client.lock_deploy(pinned)
                found = self._live_secrets(client, props, pinned)
                return {**props, "published_deploy_id": pinned, "locked": True, **found}
            if published.get("locked"):
                client.unlock_deploy(published["id"])
            newest = newest_ready_production(client, site_id)
            target = newest["id"] if newest else published.get("id", "")
            if target and target != published.get("id"):
                client.restore_deploy(site_id, target)
            found = self._live_secrets(client, props, target)
            return {**props, "published_deploy_id": target, "locked": False, **found}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['site_id']}/published-deploy", self._converge(props))

    def update_remote(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        return self._converge(news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Leaving a lock behind would silently stop every future deploy from publishing.
        if props.get("pinned_deploy"):
            with netlify_client(props["api_url"]) as client:
                published = client.get_site(props["site_id"]).get("published_deploy") or {}
                if published.get("locked"):
                    client.unlock_deploy(published["id"])

    def read_remote(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with netlify_client(props["api_url"]) as client:
            published = client.get_site(props["site_id"]).get("published_deploy") or {}
            observed_pin = published.get("id", "") if published.get("locked") else ""
            serving: str | None = serving_label(observed_pin)
            if not observed_pin:
                newest = newest_ready_production(client, props["site_id"])
                if newest and published.get("id") and newest["id"] != published.get("id"):
                    serving = (
                        f"deploy {published.get('id')}, published by hand without a lock; the newest ready "
                        f"production deploy is {describe(newest)}"
                    )
                elif "serving" not in props:
                    serving = None  # a stack written before `serving` existed: no phantom change
        live = {
            "pinned_deploy": observed_pin,
            "published_deploy_id": published.get("id", ""),
            "locked": bool(published.get("locked")),
        }
        if live_secrets.known(props.get("secrets")) and props.get("account_id"):
            listing = site_env(props["api_url"], props["account_id"], props["site_id"])
            pinned = bool(props.get("pinned_deploy"))
            live["live_secrets"] = live_secrets.assess(published, props["secrets"], listing, pinned=pinned)
        return live | ({"serving": serving} if serving is not None else {})

    def alerts(self, live: dict[str, Any]) -> list[str]:
        found = live.get("live_secrets")
        return [str(found)] if isinstance(found, str) and found.startswith(live_secrets.STALE) else []


class PublishedDeploy(Resource, module="netlify", name="PublishedDeploy"):
    published_deploy_id: pulumi.Output[str]
    locked: pulumi.Output[bool]
    publishes: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        api_url: pulumi.Input[str],
        account_id: pulumi.Input[str],
        site_id: pulumi.Input[str],
        pinned_deploy: str | None,
        latest_build: pulumi.Input[str],
        secrets: pulumi.Input[dict[str, dict[str, str]]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        provider = PublishedDeployProvider
        inputs = {
            "api_url": api_url,
            "account_id": account_id,
            "site_id": site_id,
            "pinned_deploy": pinned_deploy or "",
            "latest_build": latest_build,
            "serving": serving_label(pinned_deploy),
            "secrets": secrets,
            "live_secrets": live_secrets.CURRENT,
            "publishes": None,
        }
        super().__init__(provider(), resource_name, provider.declared_inputs(inputs), provider.options(opts))
