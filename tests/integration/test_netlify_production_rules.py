"""Issue 19 with the real engine: builds pass Netlify's secrets scanning because each variable is
held as what it is; a secret in the output fails the build and the `up` names it; previews get no
production credential; no `up` leaves the next refresh stale."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import PLAIN, SECRETS
from local_services.stack_harness import StackHarness, quiet
from local_services.stripe_control import StripeControl
from tests.integration.polling import wait_for
from tests.integration.test_stripe_webhook import NEXT_VERSION

pytestmark = pytest.mark.integration

BUNDLE = "dist/assets/supabase-client.js"


def drift_check(stack: StackHarness) -> str:
    """The drift check CI runs: refresh, then fail on any change."""
    result = stack.cli("preview", "--refresh", "--expect-no-changes", "--diff", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.deployed
def test_a_flag_flip_builds_past_the_scan_with_the_anon_key_in_the_bundle(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    env = emulator.env()
    assert env["SUPABASE_ANON_KEY"]["is_secret"] is False  # publishable, though stored with --secret in Pulumi
    assert env["STRIPE_SECRET_KEY"]["is_secret"] is True

    stack.set_config({"USE_SUPABASE_PHONE_OTP": "true"})
    stack.stack.up(on_output=quiet)
    live = stack.outputs()["publishedDeployId"]
    built = emulator.deploy_files(live)
    assert SECRETS["supabaseAnonKey"] in built["files"][BUNDLE]
    assert PLAIN["supabaseUrl"] in emulator.site_get("/assets/supabase-client.js").text
    assert "Scanning complete" in built["log"] or built["log"] == ""


@pytest.mark.deployed
def test_a_secret_in_the_output_fails_the_build_and_the_up_names_the_key(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    emulator.push_commit({"src/assets/pay.js": "export const key = process.env.STRIPE_SECRET_KEY;\n"})
    stack.set_config({"USE_SUPABASE_PHONE_OTP": "true"})
    with pytest.raises(auto.CommandError) as failed:
        stack.stack.up(on_output=quiet)
    message = str(failed.value)
    assert "Secrets scanning found secrets in build." in message
    # The engine's message quotes the build's error; the key is named, its value is not.
    assert "Secret env var" in message
    assert "STRIPE_SECRET_KEY" in message
    assert "value detected" in message
    assert "found value at line 1 in dist/assets/pay.js" in message
    assert SECRETS["stripeSecretKey"] not in message


def test_previews_get_no_production_credential(stack: StackHarness, emulator: EmulatorControl) -> None:
    stack.set_config({}, {"previewStripeSecretKey": "sk_test_preview0a1b2c3d"})
    preview = stack.cli("preview", "--diff")
    assert "test value (previewStripeSecretKey)" in preview.stdout
    stack.stack.up(on_output=quiet)
    env = emulator.env()
    for key, var in env.items():
        contexts = {value["context"] for value in var["values"]}
        if var["is_secret"] and key != "STRIPE_SECRET_KEY":
            assert contexts == {"production"}, key
    assert {v["context"] for v in env["STRIPE_SECRET_KEY"]["values"]} == {
        "production",
        "deploy-preview",
        "branch-deploy",
    }
    commissions = {v["context"]: v["value"] for v in env["PROCESS_COMMISSIONS"]["values"]}
    assert commissions["production"] == "true"
    assert commissions["deploy-preview"] == commissions["branch-deploy"] == "false"
    summary = stack.outputs()["variableContexts"]
    assert summary["SUPABASE_SERVICE_ROLE_KEY"] == {
        "kind": "secret",
        "production": "production value",
        "deploy-preview": "no value",
        "branch-deploy": "no value",
        "dev": "no value",
    }
    assert summary["SUPABASE_ANON_KEY"]["kind"] == "publishable"


@pytest.mark.deployed
def test_secret_on_and_off_a_plain_key_then_a_flag_leave_no_phantom_drift(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    drift_check(stack)
    sid = PLAIN["twilioAccountSid"]
    steps = [
        ("config", "set", "--secret", "twilioAccountSid", sid),
        ("config", "set", "twilioAccountSid", sid),
        ("config", "set", "--secret", "supabaseUrl", PLAIN["supabaseUrl"]),
        ("config", "set", "USE_SUPABASE_PHONE_OTP", "true"),
        ("config", "set", "USE_SUPABASE_PHONE_OTP", "false"),
    ]
    for step in steps:
        stack.cli(*step)
        stack.stack.up(on_output=quiet)
        drift_check(stack)


@pytest.mark.deployed
def test_rotation_while_pinned_is_refused_at_preview_and_the_way_out_works(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    stack.set_config({"pinnedDeploy": stack.outputs()["publishedDeployId"]})
    stack.stack.up(on_output=quiet)
    [before] = stripe_api.endpoints()

    stack.set_config({"stripeWebhookApiVersion": NEXT_VERSION})
    refused = stack.cli("preview", check=False)
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    assert "pinnedDeploy=" in said
    assert "pulumi config rm pinnedDeploy" in said
    with pytest.raises(auto.CommandError):
        stack.stack.up(on_output=quiet)
    assert stripe_api.endpoints() == [before]  # nothing changed
    event = stripe_api.deliver("charge.refunded")["event"]
    wait_for(lambda: emulator.webhook_events().get(event["id"], {}).get("processed") == 1, "the pinned site")

    # The way out the message gives: release the pin, and the rotation hands over safely.
    stack.remove_config("pinnedDeploy")
    stack.stack.up(on_output=quiet)
    [after] = stripe_api.endpoints()
    assert after["api_version"] == NEXT_VERSION
    assert after["id"] != before["id"]
    event = stripe_api.deliver("charge.refunded")["event"]
    wait_for(lambda: emulator.webhook_events().get(event["id"], {}).get("processed") == 1, "the rotated site")
    drift_check(stack)


@pytest.mark.deployed
def test_a_flip_names_the_commit_it_builds_and_the_live_one(stack: StackHarness, emulator: EmulatorControl) -> None:
    live = emulator.deploy_files(stack.outputs()["publishedDeployId"])["commit_ref"]
    # A push whose build fails (its code breaks the build): the head moves past the live commit.
    emulator.configure(fail_next_builds=1)
    head = emulator.push_commit({"src/assets/broken.js": "export const broken = true;\n"}, "a broken push")
    wait_for(lambda: emulator.deploys()[0]["state"] == "error", "the push's build to fail")
    assert served_commit(emulator) == live

    stack.set_config({"USE_SUPABASE_PHONE_OTP": "true"})
    preview = stack.cli("preview", "--diff").stdout
    assert f"commit {head[:12]}; live: commit {live[:12]}" in preview
    assert "differs from the live commit" in preview
    result = stack.stack.up(on_output=quiet)
    assert f"commit {head[:12]}" in result.stdout
    assert "differs from the live commit" in result.stdout
    assert served_commit(emulator) == head  # the flip shipped the head, as the preview said


def served_commit(emulator: EmulatorControl) -> str:
    return str(emulator.deploy_files(emulator.site_get("/").headers["X-Nf-Deploy-Id"])["commit_ref"])


def test_with_wait_off_a_failed_build_does_not_stay_built(stack: StackHarness, emulator: EmulatorControl) -> None:
    stack.set_config({"waitForDeploy": "false"})
    stack.stack.up(on_output=quiet)
    wait_for(lambda: emulator.deploys()[0]["state"] == "ready", "the first build")
    emulator.configure(reject_next_builds=1)
    stack.set_config({"USE_SUPABASE_PHONE_OTP": "true"})
    stack.stack.up(on_output=quiet)  # not waited for: succeeds while the build runs
    wait_for(lambda: emulator.deploys()[0]["state"] == "rejected", "the build to be rejected")
    drifted = stack.cli("preview", "--refresh", "--expect-no-changes", check=False)
    assert drifted.returncode != 0  # the rejected build is not taken for the live one
    before = len(emulator.deploys())
    stack.stack.up(on_output=quiet)
    assert len(emulator.deploys()) == before + 1  # the next up builds again
    wait_for(lambda: emulator.deploys()[0]["state"] == "ready", "the rebuild")
    drift_check(stack)
