"""The real engine runs the program: up, then preview and refresh report nothing, destroy cleans up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi import automation as auto

from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import PLAIN, SECRETS
from local_services.stack_harness import StackHarness
from local_services.stripe_control import StripeControl

pytestmark = pytest.mark.integration

MANAGED = {
    "SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "STRIPE_SECRET_KEY", "SMS_PEPPER",
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "USE_SUPABASE_PHONE_OTP", "PROCESS_COMMISSIONS",
    "STRIPE_WEBHOOK_SECRET",
}  # fmt: skip
# Beside the variables: the stack, site, build, publish, inventory, the Stripe webhook
# component, its endpoint, and the STRIPE_WEBHOOK_SECRET handover.
OTHER_RESOURCES = 8


def test_up_is_stable_under_preview_and_refresh_and_destroy_leaves_nothing(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    up = stack.stack.up(on_output=lambda _: None, read_back=True)
    assert up.summary.result == "succeeded"
    for name, value in SECRETS.items():
        assert value not in up.stdout, f"{name} appears in the output of up"

    outputs = stack.outputs()
    for key in ("siteId", "siteUrl", "publishedDeployId", "netlifyApiUrl", "stripeApiUrl", "s3EndpointUrl"):
        assert key in outputs, key
    assert outputs["siteId"] == emulator.site_id
    assert outputs["netlifyApiUrl"] == emulator.api_url
    assert outputs["publishedDeployId"] == emulator.site()["published_deploy"]["id"]

    assert set(emulator.env()) >= MANAGED
    published = emulator.published_env()
    assert published["deploy_id"] == outputs["publishedDeployId"]
    assert published["env"]["SUPABASE_URL"] == "https://it.supabase.co"
    assert published["env"]["USE_SUPABASE_PHONE_OTP"] == "false"

    # Nothing to do right after an up, with or without reading the live state back.
    stack.stack.preview(expect_no_changes=True, on_output=lambda _: None)
    stack.stack.refresh(expect_no_changes=True, on_output=lambda _: None)
    stack.stack.preview(expect_no_changes=True, on_output=lambda _: None)

    exported = stack.export()
    for name, value in SECRETS.items():
        assert value not in exported, f"{name} appears in plain text in the stack's state"
    assert "whsec_" not in exported
    [endpoint] = stripe_api.endpoints()
    assert outputs["stripeWebhookEndpointId"] == endpoint["id"]
    assert endpoint["url"] == emulator.site_url + "/.netlify/functions/stripe-webhook"
    build = next(r for r in json.loads(exported)["deployment"]["resources"] if r["urn"].endswith("::site-build"))
    for key in ("fingerprint", "built_fingerprint"):
        assert "ciphertext" in build["outputs"][key], f"{key} (a hash over secrets) is stored in plain text"

    stack.stack.destroy(on_output=lambda _: None)
    assert not MANAGED & set(emulator.env())
    assert stripe_api.endpoints() == []
    deployment = stack.stack.export_stack().deployment or {}
    assert deployment.get("resources") in (None, [])
    assert emulator.site()["published_deploy"]["locked"] is False


def test_preview_of_a_fresh_stack_changes_nothing(stack: StackHarness, emulator: EmulatorControl) -> None:
    emulator.clear_requests()
    preview = stack.stack.preview(on_output=lambda _: None)
    assert preview.change_summary.get(auto.OpType.CREATE) == len(MANAGED) + OTHER_RESOURCES
    assert emulator.mutating_requests() == []


def test_preview_of_a_fresh_stack_needs_no_reachable_api(tmp_path: Path) -> None:
    closed = "http://127.0.0.1:9/api/v1"  # the discard port: nothing listens there
    harness = StackHarness(tmp_path / "pulumi", kms=True)
    wiring = {"netlifyApiUrl": closed, "siteUrl": "http://127.0.0.1:9"}
    harness.set_config({**PLAIN, **wiring}, SECRETS)
    preview = harness.stack.preview(on_output=lambda _: None)
    assert preview.change_summary.get(auto.OpType.CREATE) == len(MANAGED) + OTHER_RESOURCES


def test_protected_stack_refuses_destroy_and_retires_on_purpose(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    """As on `prod`: the endpoint and the managed variables survive a destroy (or a rename) until
    the operator retires them the documented way (README: "Retiring a protected stack")."""
    stack.set_config({"protectResources": "true"})
    stack.stack.up(on_output=lambda _: None)
    (endpoint,) = stripe_api.endpoints()

    refused = stack.cli("destroy", "--yes", check=False)
    assert refused.returncode != 0
    assert "protected" in refused.stdout + refused.stderr
    assert "pulumi state unprotect" in refused.stdout + refused.stderr
    assert [e["id"] for e in stripe_api.endpoints()] == [endpoint["id"]]
    assert set(emulator.env()) >= MANAGED, "no managed variable was deleted"

    # The retire path: protection off in config, an up that only records it, then destroy.
    stack.set_config({"protectResources": "false"})
    lifted = stack.stack.up(on_output=lambda _: None, read_back=True)
    assert set(lifted.summary.resource_changes or {}) == {"same"}, lifted.summary.resource_changes
    assert [e["id"] for e in stripe_api.endpoints()] == [endpoint["id"]], "lifting protection changed the endpoint"
    stack.stack.destroy(on_output=lambda _: None)
    assert stripe_api.endpoints() == []
    assert not set(emulator.env()) & MANAGED
