"""Issue 19 with the real engine: a live deploy that cannot verify the current Stripe webhook secret.

Netlify gives a deploy the variables of its build, so a rollback to a deploy built before the
secret rotated, a hand restore of one, or a rotation whose build failed leaves a site that
refuses Stripe's events. The drift check reports it exactly when the site refuses them (each
case checked against the emulator's real deliveries), the preview of such a pin warns, and the
way out each report names clears it.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from pulumi import automation as auto

from local_services.emulator_control import EmulatorControl
from local_services.stack_harness import StackHarness, quiet
from local_services.stripe_control import StripeControl
from tests.integration.polling import wait_for
from tests.integration.test_stripe_webhook import NEXT_VERSION

pytestmark = pytest.mark.integration

PUBLISHED = "site-published"
PREDATES = "predates the current STRIPE_WEBHOOK_SECRET, set at "


def sfops_drift(stack: StackHarness) -> tuple[int, dict[str, dict[str, Any]]]:
    result: subprocess.CompletedProcess[str] = stack.sfops("--json", "drift")
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.returncode, {r["name"]: r for r in json.loads(result.stdout)["resources"]}


def alerts(found: dict[str, dict[str, Any]]) -> list[str]:
    return list(found.get(PUBLISHED, {}).get("alerts", []))


def delivered(stripe_api: StripeControl, emulator: EmulatorControl, endpoint_id: str) -> bool:
    """Whether the live site accepts an event Stripe signs for `endpoint_id` (its first attempt)."""
    event = stripe_api.deliver("charge.refunded")["event"]

    def first_attempt() -> dict[str, Any] | None:
        attempts = [d for d in stripe_api.deliveries(event["id"]) if d["endpoint_id"] == endpoint_id]
        return attempts[0] if attempts else None

    wait_for(first_attempt, "Stripe's first delivery attempt")
    attempt = first_attempt()
    assert attempt is not None
    if attempt["status"] != 200:
        assert attempt["status"] == 400  # refused by the site's signature check, not lost on the way
        return False
    assert emulator.webhook_events()[event["id"]]["processed"] == 1
    return True


def current_endpoint(stack: StackHarness) -> str:
    return str(stack.outputs()["stripeWebhookEndpointId"])


def production_deploys(emulator: EmulatorControl) -> list[dict[str, Any]]:
    """Ready production deploys, oldest first."""
    ready = [d for d in emulator.deploys() if d["state"] == "ready" and d["context"] == "production"]
    return sorted(ready, key=lambda d: d["created_at"])


def rotate(stack: StackHarness, emulator: EmulatorControl) -> tuple[dict[str, Any], dict[str, Any]]:
    """Rotate unpinned from the deployed stack: (the deploy live before, the handover's `new,old` deploy)."""
    before = emulator.site()["published_deploy"]
    stack.set_config({"stripeWebhookApiVersion": NEXT_VERSION})
    stack.up()
    newer = [d for d in production_deploys(emulator) if d["created_at"] > before["created_at"]]
    assert len(newer) == 2  # the overlap build, then the one with the new secret alone
    return before, newer[0]


@pytest.mark.deployed
def test_a_pin_before_the_rotation_warns_is_reported_while_refusing_and_unpinning_clears_it(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    before, overlap = rotate(stack, emulator)
    endpoint = current_endpoint(stack)
    assert sfops_drift(stack) == (0, {})

    stack.set_config({"pinnedDeploy": before["id"]})
    preview = stack.cli("preview", "--diff")
    said = preview.stdout + preview.stderr
    assert f"pinnedDeploy={before['id']}: the pinned deploy {before['id']}" in said
    assert PREDATES in said
    assert "refuses every Stripe webhook event signed with the current one" in said
    output = stack.up()  # a rollback is allowed: it may be what the incident needs
    assert f"pinnedDeploy={before['id']}: the pinned deploy" in output
    assert "whsec_" not in said + output

    code, found = sfops_drift(stack)
    assert code == 1
    assert found[PUBLISHED]["op"] == "alert"
    [alert] = alerts(found)
    commit = before["commit_ref"][:12]
    assert f"the live deploy {before['id']} (created {before['created_at']}, commit {commit})" in alert
    assert "pulumi config rm pinnedDeploy" in alert
    # The time named is when the new secret reached Netlify: after the pinned deploy, before the overlap one.
    changed_at = re.search(r"set at (\S+):", alert)
    assert changed_at is not None
    assert before["created_at"] < changed_at.group(1) <= overlap["created_at"]
    check = stack.cli("preview", "--refresh", "--expect-no-changes", "--diff", check=False)
    assert check.returncode != 0
    assert PREDATES in check.stdout
    assert not delivered(stripe_api, emulator, endpoint)

    # The overlap deploy carries `new,old`: no warning, no report, and the site accepts the event.
    stack.set_config({"pinnedDeploy": overlap["id"]})
    preview = stack.cli("preview", "--diff")
    said = preview.stdout + preview.stderr
    assert f"pinnedDeploy={overlap['id']}: the pinned deploy" not in said
    publishes = said.split(f'=> "pinned deploy {overlap["id"]}')[1].splitlines()[0]
    assert "WARNING" not in publishes
    stack.up()
    assert sfops_drift(stack) == (0, {})
    assert delivered(stripe_api, emulator, endpoint)

    # The way out: release the pin.
    stack.set_config({"pinnedDeploy": before["id"]})
    stack.up()
    assert alerts(sfops_drift(stack)[1])
    stack.remove_config("pinnedDeploy")
    stack.up()
    assert sfops_drift(stack) == (0, {})
    stack.cli("preview", "--refresh", "--expect-no-changes")
    assert delivered(stripe_api, emulator, endpoint)


@pytest.mark.deployed
def test_a_hand_restore_of_a_deploy_before_the_rotation_is_reported_and_up_puts_it_back(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    before, _overlap = rotate(stack, emulator)
    endpoint = current_endpoint(stack)
    emulator.restore_by_hand(before["id"])  # "Publish deploy" in the Netlify UI

    code, found = sfops_drift(stack)
    assert code == 1
    [alert] = alerts(found)
    assert f"the live deploy {before['id']}" in alert
    assert "Way out: pulumi up --refresh" in alert
    assert not delivered(stripe_api, emulator, endpoint)

    stack.cli("up", "--refresh", "--yes", "--skip-preview")
    assert sfops_drift(stack) == (0, {})
    assert delivered(stripe_api, emulator, endpoint)


@pytest.mark.deployed
def test_a_rotation_whose_build_failed_is_reported_until_an_up_completes_it(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    live = emulator.site()["published_deploy"]
    [old] = stripe_api.endpoints()
    emulator.configure(fail_next_builds=1)  # the handover's `new,old` build fails
    stack.set_config({"stripeWebhookApiVersion": NEXT_VERSION})
    with pytest.raises(auto.CommandError):
        stack.stack.up(on_output=quiet)
    [new] = [e for e in stripe_api.endpoints() if e["id"] != old["id"]]
    assert emulator.site()["published_deploy"]["id"] == live["id"]

    code, found = sfops_drift(stack)
    assert code == 1
    [alert] = alerts(found)
    assert "STRIPE_WEBHOOK_SECRET was written at" in alert
    assert f"after the live deploy {live['id']}" in alert
    # Stripe signs for each endpoint with its own secret: the old one still gets through, the new one not.
    assert delivered(stripe_api, emulator, old["id"])
    assert not delivered(stripe_api, emulator, new["id"])

    assert "Way out: pulumi up --refresh" in alert
    stack.cli("up", "--refresh", "--yes", "--skip-preview")
    assert [e["id"] for e in stripe_api.endpoints()] == [new["id"]]
    assert sfops_drift(stack) == (0, {})
    assert delivered(stripe_api, emulator, new["id"])
