"""Whether the live deploy carries the current rotated secret, from Netlify's times and the stack's
records (components/netlify/live_secrets.py), and how a refresh and `sfops drift` report it."""

from __future__ import annotations

from typing import Any

import pytest

from components.netlify import live_secrets
from components.netlify.env_var import EnvVarProvider
from components.netlify.published_deploy import PublishedDeployProvider
from components.netlify.secret_handover import SecretHandoverProvider
from components.provider_base import ALERTS
from scripts.sfops.drift import hand_change

KEY = "STRIPE_WEBHOOK_SECRET"
# Netlify's stamps of one rotation: the `new,old` write, its build, the write of `new`, its build.
OVERLAP_WRITE, OVERLAP_DEPLOY = "2026-12-06T02:00:10.000Z", "2026-12-06T02:00:11.000Z"
NEW_WRITE, NEW_DEPLOY = "2026-12-06T02:00:20.000Z", "2026-12-06T02:00:21.000Z"
BEFORE = "2026-12-06T01:00:00.000Z"
RECORD = {"since": OVERLAP_WRITE, "written": NEW_WRITE, "verifies": "every Stripe webhook event"}
LISTING = {KEY: {"key": KEY, "updated_at": NEW_WRITE}}


def deploy(created_at: str) -> dict[str, Any]:
    return {"id": "d" * 24, "created_at": created_at, "commit_ref": "c0ffee" * 7}


def assess(created_at: str, *, pinned: bool = True, listing: dict[str, Any] | None = None) -> str:
    found = LISTING if listing is None else listing
    return live_secrets.assess(deploy(created_at), {KEY: RECORD}, found, pinned=pinned)


def test_a_deploy_built_before_the_secret_arrived_is_named_with_the_time_and_the_way_out() -> None:
    found = assess(BEFORE)
    assert found.startswith(live_secrets.STALE)
    assert f"the live deploy {'d' * 24} (created {BEFORE}, commit c0ffeec0ffee)" in found
    assert f"predates the current {KEY}, set at {OVERLAP_WRITE}" in found
    assert "refuses every Stripe webhook event signed with the current one" in found
    assert "pulumi config rm pinnedDeploy" in found
    assert f"pin a deploy created after {OVERLAP_WRITE}" in found
    assert "pulumi up --refresh" in assess(BEFORE, pinned=False)


@pytest.mark.parametrize("created_at", [OVERLAP_WRITE, OVERLAP_DEPLOY, NEW_DEPLOY])
def test_the_overlap_deploy_and_later_ones_carry_it(created_at: str) -> None:
    assert assess(created_at) == live_secrets.CURRENT


def test_a_write_outside_the_records_counts_from_its_own_time() -> None:
    # A rotation whose build failed: Netlify holds `new,old` written after the records.
    later = "2026-12-06T03:00:00.000Z"
    listing = {KEY: {"key": KEY, "updated_at": later}}
    found = assess(NEW_DEPLOY, listing=listing)
    assert f"{KEY} was written at {later}, outside the records of the last completed pulumi up" in found
    assert f"after the live deploy {'d' * 24}" in found
    assert assess("2026-12-06T03:00:01.000Z", listing=listing) == live_secrets.CURRENT


def test_nothing_known_is_no_finding() -> None:
    assert live_secrets.assess(None, {KEY: RECORD}, LISTING, pinned=False) == live_secrets.CURRENT
    assert live_secrets.assess(deploy(BEFORE), {KEY: {"since": ""}}, {}, pinned=False) == live_secrets.CURRENT
    assert not live_secrets.known({})
    assert not live_secrets.known({KEY: {"since": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}})
    assert live_secrets.known({KEY: RECORD})


def test_the_refresh_alerts_only_on_a_stale_live_deploy(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = PublishedDeployProvider()
    state = {"site_id": "s", "api_url": "u", "account_id": "a", "pinned_deploy": "", "secrets": {KEY: RECORD}}
    state |= {"live_secrets": live_secrets.CURRENT, "latest_build": "b", "serving": "x"}
    monkeypatch.setattr(provider, "read_remote", lambda _id, _props: {"live_secrets": assess(BEFORE)})
    outs = provider.read("id", state).outs or {}
    assert outs[ALERTS] == [assess(BEFORE)]
    assert "drifted" not in outs  # a consequence (a pin, a restore, a failed build), never a hand change

    monkeypatch.setattr(provider, "read_remote", lambda _id, _props: {"live_secrets": live_secrets.CURRENT})
    assert ALERTS not in (provider.read("id", state).outs or {})


def test_sfops_drift_lists_an_alert_on_every_check_with_any_hand_change() -> None:
    urn = "urn:pulumi:it::p::netlify:index:PublishedDeploy::site-published"
    alert = assess(BEFORE)
    old = {"live_secrets": alert, ALERTS: [alert]}
    found = hand_change(urn, "netlify:index:PublishedDeploy", old, {**old})
    assert found is not None
    assert (found.op, found.alerts, found.description) == ("alert", (alert,), alert)

    changed = {**old, "serving": "deploy x, published by hand", "drifted": ["serving"]}
    both = hand_change(urn, "netlify:index:PublishedDeploy", {**old, "serving": "s"}, changed)
    assert both is not None
    assert both.op == "changed"
    assert both.description.endswith(f" | {alert}")


def test_a_variable_records_when_its_production_value_arrived() -> None:
    provider = EnvVarProvider()
    olds = {"values": {"production": "a"}, "updated_at": "t1", "value_since": "t0"}
    same = provider.outputs({"values": {"production": "a", "deploy-preview": "p"}}, {"updated_at": "t2"}, olds)
    assert (same["updated_at"], same["value_since"]) == ("t2", "t0")
    changed = provider.outputs({"values": {"production": "b"}}, {"updated_at": "t2"}, olds)
    assert changed["value_since"] == "t2"
    # A state written before `value_since`: its last write bounds when the value arrived.
    legacy = provider.outputs({"values": {"production": "a"}}, {"updated_at": "t2"}, {**olds, "value_since": None})
    assert legacy["value_since"] == "t1"
    assert provider.outputs({"values": {"production": "a"}}, {"updated_at": "t2"})["value_since"] == "t2"


def test_a_handover_while_pinned_leaves_the_time_to_the_variable_write() -> None:
    olds = {"api_url": "u", "account_id": "a", "site_id": "s", "value": "old", "key": KEY, "since": OVERLAP_WRITE}
    news = {**olds, "value": "new", "pinned": True, "since": None}
    outs = SecretHandoverProvider().update_remote("id", olds, news)
    assert outs["since"] == ""
    unchanged = SecretHandoverProvider().update_remote("id", olds, {**olds, "pinned": False})
    assert unchanged["since"] == OVERLAP_WRITE
