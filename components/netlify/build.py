"""`netlify:ProductionBuild`: one production build per change of the site's env.

Netlify applies env changes only to new deploys. The program hands this resource
a fingerprint of every value the functions read (a hash, secrets included); a new
fingerprint starts exactly one build and, by default, waits until its deploy is
ready. A failed build fails the update with the build's own error.

While a deploy is pinned nothing is built: the env change is stored in Netlify
and the build runs when the pin is released (`built_fingerprint` remembers what
the live build contains).

What a build ships: `POST /sites/{id}/builds` takes no commit, Netlify builds the newest
commit of the production branch. When that is not what is live (a push whose build failed,
or one held back by a pin), a flag flip also ships that code, or fails on it. So `check`
fills in `ships` whenever a build is due: the newest commit Netlify has seen on the branch
(its newest production deploy) and the live deploy's commit; the program warns when they
differ. A push Netlify has not seen yet (builds stopped) cannot be named through its API.

Drift: each build records the `updated_at` of every managed variable it carries
(`env_stamps`). A refresh that finds one of them moved (a hand edit, even one
undone by hand, or a hand build in between) reports `live_env` as stale, and the
next `up` builds once, after the variables are put back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, Resource

from components.http_retry import PREVIEW
from components.netlify.api import JSON, NetlifyApiError, NetlifyClient
from components.netlify.env_listing import site_env
from components.netlify.provider import netlify_client
from components.provider_base import (
    DeclaredProvider,
    Kind,
    computed,
    connection,
    endpoint,
    guard,
    identity,
    lower,
    mutable,
)

# Polls start fast (small sites build in seconds), then once a second like netlify-cli's
# wait for a deploy (DEPLOY_POLL = 1000 in its src/utils/deploy/constants.ts): 60 requests a
# minute, far below Netlify's 500. A slower poll only makes a 3 a.m. flip wait longer.
FIRST_POLL_S = 0.5
MAX_POLL_S = 1.0
START_ATTEMPTS = 5


def poll_intervals() -> Iterator[float]:
    """Seconds to sleep between polls of a build: 0.5, 0.75, then 1 s for good.

    One schedule for every wait on a Netlify build (this resource, the secret handover, the
    drill, and the direct path `python -m bench flag-flip` compares a flip with).
    """
    interval = FIRST_POLL_S
    while True:
        yield interval
        interval = min(MAX_POLL_S, interval * 1.5)


class BuildFailed(Exception):
    pass


def _parse_time(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


FAILED_STATES = frozenset({"error", "rejected"})


def _newest_env_change(listing: list[JSON]) -> float:
    stamps = [var.get("updated_at") for var in listing]
    return max((_parse_time(stamp) for stamp in stamps if stamp), default=0.0)


def _build_with_current_env(client: NetlifyClient, site_id: str, env_changed_at: float) -> JSON | None:
    """A production deploy started after the last env change: it already carries the current env."""
    candidates = [
        deploy
        for deploy in client.list_deploys(site_id, production=True)
        if deploy.get("context") == "production"
        and deploy.get("state") not in FAILED_STATES
        and deploy.get("created_at")
        and _parse_time(deploy["created_at"]) >= env_changed_at
    ]
    return max(candidates, key=lambda d: str(d["created_at"]), default=None)


def ensure_build(client: NetlifyClient, site_id: str, listing: list[JSON]) -> str:
    """The deploy id of a production build carrying the current env; starts one only if none does.

    POST /builds is not idempotent, so we look before we create, and look again after any
    failure that may have reached the server (5xx, timeout, dropped connection): an `up`
    that was killed mid-way, an answer lost on the wire, or a build someone started by
    hand after the last env change is adopted instead of duplicated. The times compared
    are all Netlify's own, so the local clock does not matter.
    """
    env_changed_at = _newest_env_change(listing)
    last: Exception | None = None
    for attempt in range(START_ATTEMPTS):
        existing = _build_with_current_env(client, site_id, env_changed_at)
        if existing is not None:
            return str(existing["id"])
        try:
            return str(client.start_build(site_id)["deploy_id"])
        except NetlifyApiError as exc:
            if exc.status != 429 and exc.status < 500:
                raise
            last = exc
        except Exception as exc:  # transport errors: the request may have been processed
            last = exc
        time.sleep(min(2.0 * (attempt + 1), 10.0))
    raise BuildFailed(f"could not start a build of site {site_id}: {last}") from last


LIVE_ENV_CURRENT = "built from the current variables"
DIFFERS = "differs from the live commit"


def describe_commits(newest: JSON | None, live: JSON | None) -> str:
    """The commit a build of the production branch ships and the live one, in the preview's words."""
    head = str((newest or {}).get("commit_ref") or "")
    live_ref = str((live or {}).get("commit_ref") or "")
    if not head:
        return ""
    text = f"builds the head of the production branch, commit {head[:12]}; live: commit {live_ref[:12] or 'none'}"
    if live_ref == head:
        return text
    state = (newest or {}).get("state", "")
    return (
        f"{text}; the head {DIFFERS} (its newest deploy {(newest or {}).get('id', '')} is {state!r}): this build "
        "also ships every change between them, or fails where that deploy failed"
    )


def _unwaited_build_failed(olds: dict[str, Any]) -> bool:
    if olds.get("wait", True) or not olds.get("deploy_id") or not isinstance(olds.get("api_url"), str):
        return False
    try:
        with netlify_client(str(olds["api_url"]), PREVIEW) as client:
            deploy = client.get_deploy(str(olds["deploy_id"]))
    except Exception:
        return False  # unreachable: the next look decides
    return deploy is not None and deploy.get("state") in FAILED_STATES


def _what_ships(props: dict[str, Any]) -> str:
    """Informational: an unreachable API must not fail a preview."""
    try:
        with netlify_client(str(props["api_url"]), PREVIEW) as client:
            live = client.get_site(props["site_id"]).get("published_deploy")
            production = [d for d in client.list_deploys(props["site_id"], production=True) if d.get("commit_ref")]
    except Exception:
        return ""
    newest = max(production, key=lambda d: str(d.get("created_at", "")), default=None)
    return describe_commits(newest, live)


def managed_stamps(listing: list[JSON], keys: list[str]) -> dict[str, str]:
    wanted = set(keys)
    return {str(var["key"]): str(var.get("updated_at", "")) for var in listing if var.get("key") in wanted}


def stale_keys(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """Managed variables changed (or deleted) since the live build was made."""
    return sorted(key for key, stamp in recorded.items() if current.get(key) != stamp)


def wait_until_ready(client: NetlifyClient, deploy_id: str, timeout_s: float) -> JSON:
    deadline = time.monotonic() + timeout_s
    intervals = poll_intervals()
    while True:
        deploy = client.get_deploy(deploy_id)
        if deploy is None:
            raise BuildFailed(f"deploy {deploy_id} disappeared while building")
        state = deploy.get("state")
        if state == "ready":
            return deploy
        if state in FAILED_STATES:
            # `rejected` is as final as `error`; a build cancelled by the ignore command ends `error`.
            raise BuildFailed(
                f"Netlify build of deploy {deploy_id} ended {state!r}: {deploy.get('error_message') or 'no message'}"
            )
        if time.monotonic() > deadline:
            raise BuildFailed(
                f"deploy {deploy_id} was still '{state}' after {timeout_s:.0f}s; "
                "it may still finish (Netlify UI > Deploys); run `pulumi up` again: it adopts that build "
                "instead of starting another, or raise deployTimeoutSeconds"
            )
        time.sleep(next(intervals))


class ProductionBuildProvider(DeclaredProvider):
    FIELDS = (
        identity("site_id"),
        connection("api_url", normalize=endpoint),
        connection("account_id", normalize=lower),
        # Hashes over secret values stay encrypted in state like the values themselves.
        mutable("fingerprint", secret=True),
        mutable("pinned"),
        # Stale because a variable changed: that variable is the hand change, not the build.
        mutable("live_env", derived=True),
        guard("keys"),
        guard("wait"),
        guard("timeout_s"),
        # What the next build will ship (filled in by check when a build is due): information only.
        guard("ships"),
        computed("deploy_id"),
        computed("built_fingerprint", secret=True),
        computed("env_stamps"),
    )

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = super().check(olds, news)
        props = dict(checked.inputs or news)
        # The engine hands `check` the old inputs, not the outputs (`built_fingerprint` is not
        # there): a build is due when the fingerprint moved or a pin is released. A no-op
        # preview then makes no Netlify call at all.
        released = bool(olds.get("pinned")) and not props.get("pinned")
        due = not olds or olds.get("fingerprint") != props.get("fingerprint") or released
        props["ships"] = ""
        if due and not props.get("pinned") and isinstance(props.get("site_id"), str):
            props["ships"] = _what_ships(props)
        return CheckResult(props, checked.failures)

    def extra_changes(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        # Unpinning with env changes made while pinned needs the build that was held back.
        held_back = not news.get("pinned") and olds.get("built_fingerprint") != news.get("fingerprint")
        if held_back and "fingerprint" not in self.changed(olds, news, Kind.MUTABLE):
            return ["fingerprint"]
        # Not waited for (waitForDeploy=false): a build that then failed built nothing.
        return ["deploy_id"] if not news.get("pinned") and _unwaited_build_failed(olds) else []

    def _converge(self, props: dict[str, Any], olds: dict[str, Any] | None) -> dict[str, Any]:
        outs = {**props}
        previous = olds or {}
        with netlify_client(props["api_url"]) as client:
            if props.get("pinned"):
                outs["deploy_id"] = previous.get("deploy_id") or client.get_site(props["site_id"]).get(
                    "published_deploy", {}
                ).get("id", "")
                outs["built_fingerprint"] = previous.get("built_fingerprint", "")
                outs["env_stamps"] = previous.get("env_stamps", {})
                return outs
            up_to_date = previous.get("live_env", LIVE_ENV_CURRENT) == LIVE_ENV_CURRENT
            up_to_date = up_to_date and not _unwaited_build_failed(previous)
            if olds is not None and up_to_date and previous.get("built_fingerprint") == props["fingerprint"]:
                # Nothing to build (e.g. only the API address changed): no call at all.
                outs["deploy_id"] = previous.get("deploy_id", "")
                outs["built_fingerprint"] = props["fingerprint"]
                outs["env_stamps"] = previous.get("env_stamps", {})
                return outs
            # The env a new build snapshots is this listing: its stamps are what the build carries.
            listing = client.list_env(props["account_id"], props["site_id"])
            deploy_id = ensure_build(client, props["site_id"], listing)
            stamps = managed_stamps(listing, list(props.get("keys") or []))
            if props.get("wait", True):
                wait_until_ready(client, deploy_id, float(props.get("timeout_s", 900)))
        outs["deploy_id"] = deploy_id
        outs["built_fingerprint"] = props["fingerprint"]
        outs["env_stamps"] = stamps
        return outs

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._converge(props, None)
        return CreateResult(f"{props['site_id']}/production-build", outs)

    def update_remote(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        return self._converge(news, olds)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Deploys are the site's history: nothing to remove when Pulumi stops managing builds.
        return None

    def read_remote(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        recorded = props.get("env_stamps")
        if not props.get("pinned") and _unwaited_build_failed(props):
            return {
                "live_env": f"stale: build {props['deploy_id']} failed after the update that started it "
                "(waitForDeploy=false); one build brings the site up to date"
            }
        if not recorded or props.get("pinned"):
            return {}  # nothing recorded to compare with, or a pin holds the live build
        listed = site_env(props["api_url"], props["account_id"], props["site_id"])
        changed = stale_keys(recorded, {key: str(var.get("updated_at", "")) for key, var in listed.items()})
        return {
            "live_env": (
                f"stale: {', '.join(changed)} changed in Netlify after the live build; one build brings the site up "
                "to date"
                if changed
                else LIVE_ENV_CURRENT
            )
        }


class ProductionBuild(Resource, module="netlify", name="ProductionBuild"):
    deploy_id: pulumi.Output[str]
    ships: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        api_url: pulumi.Input[str],
        account_id: pulumi.Input[str],
        site_id: pulumi.Input[str],
        fingerprint: pulumi.Input[str],
        keys: list[str],
        pinned: bool,
        wait: bool,
        timeout_s: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        provider = ProductionBuildProvider
        inputs = {
            "api_url": api_url,
            "account_id": account_id,
            "site_id": site_id,
            "fingerprint": fingerprint,
            "keys": sorted(keys),
            "live_env": LIVE_ENV_CURRENT,
            "pinned": pinned,
            "wait": wait,
            "timeout_s": timeout_s,
            "ships": None,
        }
        super().__init__(provider(), resource_name, provider.declared_inputs(inputs), provider.options(opts))
