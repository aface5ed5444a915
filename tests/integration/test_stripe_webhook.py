"""The Stripe webhook endpoint through the real engine: delivery to the site, rotation
without a lost event, faults on create, drift, incident switches, adoption, secrecy."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from local_services.emulator_control import EmulatorControl
from local_services.stack_harness import StackHarness
from local_services.stripe_control import StripeControl
from tests.integration.polling import wait_for

pytestmark = pytest.mark.integration

NEXT_VERSION = "2026-07-29.dahlia"  # in both the SDK and the emulator's (older) spec
WEBHOOK = "/.netlify/functions/stripe-webhook"


def accepted_by_site(emulator: EmulatorControl, event_id: str) -> bool:
    return emulator.webhook_events().get(event_id, {}).get("processed") == 1


@pytest.mark.deployed
def test_an_event_reaches_the_site_signed_and_forgeries_are_refused(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    [endpoint] = stripe_api.endpoints()
    assert endpoint["status"] == "enabled"
    assert endpoint["metadata"]["managed_by"] == "soundfactory-infra"
    assert endpoint["api_version"] == "2026-08-26.dahlia"

    event = stripe_api.deliver("payment_intent.succeeded")["event"]
    wait_for(lambda: accepted_by_site(emulator, event["id"]), "the site to accept the event")
    # Stripe records the attempt once the site's answer is back, a moment after the site has it.
    wait_for(lambda: stripe_api.deliveries(event["id"]), "Stripe to record the delivery")
    [delivery] = stripe_api.deliveries(event["id"])
    assert delivery["status"] == 200

    body = json.dumps({**event, "id": "evt_forged"}).encode()
    unsigned = httpx.post(emulator.site_url + WEBHOOK, content=body, timeout=10)
    forged = httpx.post(
        emulator.site_url + WEBHOOK,
        content=body,
        headers={"Stripe-Signature": f"t={int(time.time())},v1={'0' * 64}"},
        timeout=10,
    )
    assert (unsigned.status_code, forged.status_code) == (400, 400)
    assert "evt_forged" not in emulator.webhook_events()

    outputs = stack.outputs()
    assert outputs["stripeWebhookEndpointId"] == endpoint["id"]
    assert outputs["stripeApiUrl"] == stripe_api.api_url
    shown = stack.cli("stack", "output", "stripeWebhookSecret").stdout
    assert "whsec_" not in shown
    revealed = stack.cli("stack", "output", "stripeWebhookSecret", "--show-secrets").stdout.strip()
    assert revealed.startswith("whsec_")


@pytest.mark.deployed
def test_a_new_api_version_rotates_the_secret_without_losing_an_event(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    [old] = stripe_api.endpoints()
    deploys_before = len(emulator.deploys())
    stack.set_config({"stripeWebhookApiVersion": NEXT_VERSION})
    preview = stack.cli("preview", "--diff").stdout
    assert "signing_secret_issued_for" in preview  # the review sees that the secret rotates
    assert "whsec_" not in preview

    sent: list[str] = []
    stop = threading.Event()

    def sender() -> None:
        while not stop.is_set():
            sent.append(stripe_api.deliver("charge.refunded")["event"]["id"])
            time.sleep(0.1)

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        output = stack.up()
    finally:
        stop.set()
        thread.join()
    stripe_api.wait_for_deliveries(timeout_s=60)

    [new] = stripe_api.endpoints()
    assert new["id"] != old["id"]
    assert new["api_version"] == NEXT_VERSION
    assert len(sent) > 5
    events = emulator.webhook_events()
    lost = [event_id for event_id in sent if event_id not in events]
    assert not lost, f"{len(lost)} of {len(sent)} events never reached the site"
    assert all(events[event_id]["processed"] == 1 for event_id in sent)
    # One build with new,old, one with the new secret alone.
    assert len(emulator.deploys()) - deploys_before == 2
    secret = stack.cli("stack", "output", "stripeWebhookSecret", "--show-secrets").stdout.strip()
    probe = stripe_api.deliver("charge.refunded")["event"]
    wait_for(lambda: accepted_by_site(emulator, probe["id"]), "the site to accept the event")
    assert "," not in secret
    assert "secret rotated" in output
    assert "whsec_" not in output
    stack.stack.preview(expect_no_changes=True, on_output=lambda _: None)


def test_faults_on_create_leave_exactly_one_endpoint(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    # Seed 255 makes the first create "500-after" (Stripe made the endpoint, the answer
    # says 500) and its retry a 503: the case that duplicates without an idempotency key.
    stripe_api.inject_faults(0.2, ["429", "500", "503", "drop", "500-after"], seed=255, methods=("POST",))
    stack.up()
    stripe_api.clear_faults()
    assert len(stripe_api.endpoints()) == 1
    faults = [r["fault"] for r in stripe_api.requests() if r.get("fault")]
    assert faults[:2] == ["500-after", "503"], "the faults the test relies on were not injected"
    stack.stack.preview(expect_no_changes=True, on_output=lambda _: None)


@pytest.mark.deployed
def test_dashboard_edits_show_as_drift_and_up_restores_them(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    [endpoint] = stripe_api.endpoints()
    stripe_api.edit_by_hand(endpoint["id"], enabled_events=["charge.failed"], disabled=True)

    drift = stack.cli("preview", "--refresh", "--expect-no-changes", "--diff", check=False)
    assert drift.returncode != 0
    assert "enabled_events" in drift.stdout
    assert "disabled" in drift.stdout

    stack.stack.up(refresh=True, on_output=lambda _: None)
    [restored] = stripe_api.endpoints()
    assert restored["id"] == endpoint["id"]
    assert restored["status"] == "enabled"
    assert restored["enabled_events"] == endpoint["enabled_events"]
    stack.stack.preview(refresh=True, expect_no_changes=True, on_output=lambda _: None)


@pytest.mark.deployed
def test_an_endpoint_deleted_by_hand_is_recreated_and_the_site_gets_its_secret(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    [endpoint] = stripe_api.endpoints()
    stripe_api.delete_by_hand(endpoint["id"])

    stack.stack.refresh(on_output=lambda _: None)
    assert "stripeWebhookEndpointId" in stack.outputs()
    output = stack.up()
    [recreated] = stripe_api.endpoints()
    assert recreated["id"] != endpoint["id"]
    assert "secret rotated" in output
    event = stripe_api.deliver("charge.refunded")["event"]
    wait_for(lambda: accepted_by_site(emulator, event["id"]), "the site to accept the event")


@pytest.mark.deployed
def test_disabling_keeps_the_endpoint_and_its_secret(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    [endpoint] = stripe_api.endpoints()
    deploys = len(emulator.deploys())
    stack.set_config({"stripeWebhookDisabled": "true"})
    stack.up()
    [disabled] = stripe_api.endpoints()
    assert (disabled["id"], disabled["status"]) == (endpoint["id"], "disabled")
    assert stripe_api.deliver("charge.refunded")["endpoints"] == []
    assert len(emulator.deploys()) == deploys  # the secret did not change: no build

    stack.set_config({"stripeWebhookDisabled": "false"})
    stack.up()
    event = stripe_api.deliver("charge.refunded")["event"]
    wait_for(lambda: accepted_by_site(emulator, event["id"]), "the site to accept the event")


def test_an_endpoint_made_by_hand_is_adopted_with_its_secret(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    made = stripe_api.create_by_hand(emulator.site_url + WEBHOOK, ["charge.refunded"], "2026-08-26.dahlia")
    stack.set_config({"stripeWebhookAdoptId": made["id"]}, {"stripeWebhookAdoptSecret": made["secret"]})
    output = stack.up()
    assert made["secret"] not in output
    [adopted] = stripe_api.endpoints()
    assert adopted["id"] == made["id"]
    assert adopted["metadata"]["managed_by"] == "soundfactory-infra"
    assert "payment_intent.succeeded" in adopted["enabled_events"]
    event = stripe_api.deliver("payment_intent.succeeded")["event"]
    wait_for(lambda: accepted_by_site(emulator, event["id"]), "the site to accept the event")

    # The adoption keys are needed once: removing them changes nothing.
    stack.remove_config("stripeWebhookAdoptId", "stripeWebhookAdoptSecret")
    stack.stack.preview(expect_no_changes=True, on_output=lambda _: None)


def test_adopting_an_endpoint_of_another_api_version_is_refused(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    made = stripe_api.create_by_hand(emulator.site_url + WEBHOOK, ["charge.refunded"])
    stack.set_config({"stripeWebhookAdoptId": made["id"]}, {"stripeWebhookAdoptSecret": made["secret"]})
    failed = stack.cli("up", "--yes", check=False)
    assert failed.returncode != 0
    assert "api_version unset" in failed.stdout + failed.stderr
    assert made["secret"] not in failed.stdout + failed.stderr
    assert [e["id"] for e in stripe_api.endpoints()] == [made["id"]]


def test_an_endpoint_of_another_stack_is_refused_at_preview_and_left_alone(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    staging = {
        "managed_by": "soundfactory-infra",
        "pulumi_stack": "soundfactory/staging",
        "pulumi_resource": "stripe-webhook-endpoint",
        "connect": "false",
    }
    made = stripe_api.create_by_hand(emulator.site_url + WEBHOOK, ["charge.refunded"], "2026-08-26.dahlia", staging)
    stack.set_config({"stripeWebhookAdoptId": made["id"]}, {"stripeWebhookAdoptSecret": made["secret"]})
    stripe_api.clear_requests()
    preview = stack.cli("preview", check=False)
    output = preview.stdout + preview.stderr
    assert preview.returncode != 0
    assert "managed by stack 'soundfactory/staging'" in output
    assert made["secret"] not in output
    assert stripe_api.mutating_requests() == []
    [endpoint] = stripe_api.endpoints()
    assert endpoint["metadata"] == staging
    assert endpoint["enabled_events"] == ["charge.refunded"]


def test_a_17th_endpoint_is_refused_at_preview_with_no_call(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    for n in range(16):
        stripe_api.create_by_hand(f"https://elsewhere.test/hook/{n}", ["charge.refunded"])
    stripe_api.clear_requests()
    preview = stack.cli("preview", check=False)
    assert preview.returncode != 0
    assert "16 webhook endpoints" in preview.stdout + preview.stderr
    assert stripe_api.mutating_requests() == []


@pytest.mark.deployed
def test_a_respelled_stripe_api_url_keeps_the_endpoint_and_its_secret(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    """How we reach Stripe is not which endpoint it is: no replace, no call that writes, no new secret."""
    [endpoint] = stripe_api.endpoints()
    secret = stack.cli("stack", "output", "stripeWebhookSecret", "--show-secrets").stdout.strip()
    respelled = stripe_api.api_url.replace("http://127.0.0.1", "HTTP://LOCALHOST") + "/"
    stack.set_config({"stripeApiUrl": respelled})

    preview = stack.cli("preview", "--diff")
    assert "replace" not in preview.stdout.lower(), preview.stdout
    stripe_api.clear_requests()
    emulator.clear_requests()
    stack.up()
    assert stripe_api.mutating_requests() == []
    assert emulator.mutating_requests() == [], "the site was rebuilt or its secret rewritten"
    assert [e["id"] for e in stripe_api.endpoints()] == [endpoint["id"]]
    assert stack.cli("stack", "output", "stripeWebhookSecret", "--show-secrets").stdout.strip() == secret
    stack.stack.preview(refresh=True, expect_no_changes=True, on_output=lambda _: None)
