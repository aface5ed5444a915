"""Issue 3 acceptance with the real engine: flag flips, rollback pins, drift, faults."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

import pytest
from pulumi import automation as auto

from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import SECRETS
from local_services.stack_harness import StackHarness, quiet

pytestmark = pytest.mark.integration


def changed_resources(stack: StackHarness, **kwargs: Any) -> dict[str, str]:
    """Preview, returning {resource name: op} for every resource that would change."""
    changes: dict[str, str] = {}

    def collect(event: auto.EngineEvent) -> None:
        pre = event.resource_pre_event
        # The default provider's config is the stack config; the CLI does not show it as a change.
        if pre is None or pre.metadata.type.startswith("pulumi:providers:"):
            return
        if pre.metadata.op not in (auto.OpType.SAME, auto.OpType.READ):
            changes[pre.metadata.urn.rsplit("::", 1)[-1]] = str(pre.metadata.op.value)

    stack.stack.preview(on_event=collect, on_output=quiet, **kwargs)
    return changes


def wait_for_ready(emulator: EmulatorControl, deploy_id: str) -> None:
    for _ in range(200):
        if any(d["id"] == deploy_id and d["state"] == "ready" for d in emulator.deploys()):
            return
        time.sleep(0.05)
    raise AssertionError(f"deploy {deploy_id} never became ready")


def served_deploy(emulator: EmulatorControl) -> str:
    return emulator.site_get("/").headers["X-Nf-Deploy-Id"]


@pytest.mark.deployed
def test_flag_flip_changes_one_value_and_makes_one_deploy(stack: StackHarness, emulator: EmulatorControl) -> None:
    before = emulator.published_env()["env"]
    deploys_before = len(emulator.deploys())
    assert emulator.site_post("/.netlify/functions/send-sms", json={"phone": "+12125550100"}).status_code == 200

    stack.set_config({"USE_SUPABASE_PHONE_OTP": "true"})
    changes = changed_resources(stack)
    # One variable changes; the build it needs and the publish record that follows it are its consequences.
    assert changes["site-USE_SUPABASE_PHONE_OTP"] == "update"
    assert changes["site-build"] == "update"
    assert set(changes) <= {"site-USE_SUPABASE_PHONE_OTP", "site-build", "site-published"}

    stack.stack.up(on_output=quiet)
    assert len(emulator.deploys()) == deploys_before + 1
    after = emulator.published_env()["env"]
    assert after["USE_SUPABASE_PHONE_OTP"] == "true"
    assert {k: v for k, v in after.items() if k != "USE_SUPABASE_PHONE_OTP"} == {
        k: v for k, v in before.items() if k != "USE_SUPABASE_PHONE_OTP"
    }
    assert emulator.site_post("/.netlify/functions/send-sms", json={"phone": "+12125550100"}).status_code == 409
    assert stack.outputs()["publishedDeployId"] == emulator.published_env()["deploy_id"]

    # The README's one-command form: `up --config` saves the value to the stack's settings, as
    # `config set` does, and flips it in the same run.
    stack.cli("up", "--yes", "--skip-preview", "--config", "USE_SUPABASE_PHONE_OTP=false")
    assert len(emulator.deploys()) == deploys_before + 2
    assert emulator.published_env()["env"] == before
    assert stack.cli("config", "get", "USE_SUPABASE_PHONE_OTP").stdout.strip() == "false"

    # Unchanged values start nothing (and the one-command flip is not undone by the next up).
    stack.stack.up(on_output=quiet)
    assert len(emulator.deploys()) == deploys_before + 2
    assert emulator.published_env()["env"] == before
    stack.cli("preview", "--refresh", "--expect-no-changes")


@pytest.mark.deployed
def test_pin_rolls_back_and_survives_new_builds_then_unpin_publishes_newest(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    good = stack.outputs()["publishedDeployId"]
    stack.set_config({"PROCESS_COMMISSIONS": "false"})
    stack.stack.up(on_output=quiet)
    bad = stack.outputs()["publishedDeployId"]
    assert bad != good

    stack.set_config({"pinnedDeploy": good})
    preview = stack.cli("preview", "--diff").stdout
    assert f'"pinned deploy {good} (' in preview
    stack.stack.up(on_output=quiet)
    assert served_deploy(emulator) == good
    assert emulator.site()["published_deploy"]["locked"] is True
    assert stack.outputs()["publishedDeployId"] == good

    newer = emulator.build_by_hand()
    wait_for_ready(emulator, newer)
    assert served_deploy(emulator) == good

    # A flag change while pinned is stored in Netlify but deferred until the pin is released.
    stack.set_config({"PROCESS_COMMISSIONS": "true"})
    deploys_while_pinned = len(emulator.deploys())
    stack.stack.up(on_output=quiet)
    assert len(emulator.deploys()) == deploys_while_pinned
    assert served_deploy(emulator) == good
    production = {v["context"]: v["value"] for v in emulator.env()["PROCESS_COMMISSIONS"]["values"]}
    assert production["production"] == "true"

    stack.remove_config("pinnedDeploy")
    assert '"the newest ready production deploy (now ' in stack.cli("preview", "--diff").stdout
    stack.stack.up(on_output=quiet)
    newest = max(
        (d for d in emulator.deploys() if d["state"] == "ready" and d["context"] == "production"),
        key=lambda d: d["created_at"],
    )
    assert newest["id"] not in (good, bad, newer)
    assert served_deploy(emulator) == newest["id"]
    assert emulator.site()["published_deploy"]["locked"] is False
    assert emulator.published_env()["env"]["PROCESS_COMMISSIONS"] == "true"
    stack.stack.preview(expect_no_changes=True, on_output=quiet)


@pytest.mark.deployed
def test_drift_is_named_and_repaired_while_hand_made_keys_stay(stack: StackHarness, emulator: EmulatorControl) -> None:
    emulator.set_value_by_hand("SUPABASE_URL", "production", "https://evil.example")
    emulator.delete_by_hand("PROCESS_COMMISSIONS")
    emulator.add_by_hand("HAND_MADE_KEY", "keep-me")
    emulator.set_value_by_hand("TWILIO_FROM_NUMBER", "dev-server", "+12125550999")  # a context nobody declared

    drift = stack.cli("preview", "--refresh", "--expect-no-changes", "--diff", check=False)
    assert drift.returncode != 0
    report = drift.stdout + drift.stderr
    assert "site-SUPABASE_URL" in report
    assert "site-PROCESS_COMMISSIONS" in report
    assert "HAND_MADE_KEY" in report
    assert "site-TWILIO_FROM_NUMBER" in report
    for value in SECRETS.values():
        assert value not in report

    stack.stack.up(refresh=True, on_output=quiet)
    env = emulator.env()
    production = {v["context"]: v["value"] for v in env["SUPABASE_URL"]["values"]}
    assert production["production"] == "https://it.supabase.co"
    assert "PROCESS_COMMISSIONS" in env
    assert "HAND_MADE_KEY" in env
    # Production only: previews get a declared test value or nothing (issue 19), and none is declared.
    assert {v["context"] for v in env["TWILIO_FROM_NUMBER"]["values"]} == {"production"}
    assert stack.outputs()["unmanagedEnvKeys"] == ["HAND_MADE_KEY"]


@pytest.mark.deployed
def test_secret_edited_by_hand_is_detected_by_its_stamp(stack: StackHarness, emulator: EmulatorControl) -> None:
    emulator.set_value_by_hand("STRIPE_SECRET_KEY", "production", "sk_test_swapped_by_hand")
    changes = changed_resources(stack, refresh=True)
    assert changes.get("site-STRIPE_SECRET_KEY") == "update"
    stack.stack.up(refresh=True, on_output=quiet)
    stack.stack.preview(refresh=True, expect_no_changes=True, on_output=quiet)


def test_up_converges_through_faults_without_duplicates(stack: StackHarness, emulator: EmulatorControl) -> None:
    emulator.inject_faults(0.2, ["429", "500", "502", "503", "drop", "500-after"])
    stack.stack.up(on_output=quiet)
    stack.set_config({"USE_SUPABASE_PHONE_OTP": "true"})
    stack.stack.up(on_output=quiet)
    emulator.clear_faults()

    faulted = [r for r in emulator.requests() if r["status"] in (429, 500, 502, 503, 0)]
    assert faulted, "the fault injection did not trigger"
    production_deploys = [d for d in emulator.deploys() if d["context"] == "production"]
    assert len(production_deploys) == 3  # the seeded one, the first up, the flip
    env = emulator.env()
    assert env["USE_SUPABASE_PHONE_OTP"]["values"]
    for var in env.values():  # one value per context, none doubled; credentials in production only
        contexts = [value["context"] for value in var["values"]]
        assert len(contexts) == len(set(contexts)), var["key"]
        if var["is_secret"]:
            assert contexts == ["production"], var["key"]
    assert emulator.published_env()["env"]["USE_SUPABASE_PHONE_OTP"] == "true"
    stack.stack.refresh(expect_no_changes=True, on_output=quiet)


@pytest.mark.deployed
def test_failed_build_fails_the_update_and_the_next_up_builds_again(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    emulator.configure(fail_next_builds=1, fail_message="functions bundling failed: send-sms.js")
    stack.set_config({"USE_SUPABASE_PHONE_OTP": "true"})
    with pytest.raises(auto.CommandError) as failed:
        stack.stack.up(on_output=quiet)
    assert "functions bundling failed: send-sms.js" in str(failed.value)
    broken = next(d for d in emulator.deploys() if d["state"] == "error")

    # A failed deploy is not something to roll back to: refused at preview.
    stack.set_config({"pinnedDeploy": broken["id"]})
    with pytest.raises(auto.CommandError) as refused:
        stack.stack.preview(on_output=quiet)
    assert f"pinnedDeploy: deploy {broken['id']} is 'error', not ready" in str(refused.value)
    stack.remove_config("pinnedDeploy")

    stack.stack.up(on_output=quiet)
    assert emulator.published_env()["env"]["USE_SUPABASE_PHONE_OTP"] == "true"
    stack.stack.preview(expect_no_changes=True, on_output=quiet)


def spawn_up_until_its_build_starts(
    stack: StackHarness, emulator: EmulatorControl, change: dict[str, str]
) -> subprocess.Popen[bytes]:
    """A real `pulumi up` of `change`, returned while the build it started is running."""
    stack.stack.up(on_output=quiet)
    deploys_before = len(emulator.deploys())
    emulator.configure(build_seconds=4.0)
    stack.set_config(change)
    cli = stack.spawn("up", "--yes", "--skip-preview")
    for _ in range(600):
        if len(emulator.deploys()) > deploys_before:
            break
        time.sleep(0.05)
    return cli


def test_a_killed_up_loses_nothing_and_duplicates_nothing(stack: StackHarness, emulator: EmulatorControl) -> None:
    # The operator's `pulumi up` dies (SIGKILL, no clean-up) while the build it started is running.
    with spawn_up_until_its_build_starts(stack, emulator, {"USE_SUPABASE_PHONE_OTP": "true"}) as killed:
        deploys_before = len(emulator.deploys()) - 1
        os.killpg(killed.pid, signal.SIGKILL)
    assert len(emulator.deploys()) == deploys_before + 1

    # The documented recovery: release the backend's lock, then run the same up again.
    stack.cli("cancel", "--yes")
    recovered = stack.cli("up", "--yes", "--skip-preview")
    assert "pending operations" in recovered.stdout + recovered.stderr
    assert len(emulator.deploys()) == deploys_before + 1, "the interrupted build was started again"
    assert emulator.published_env()["env"]["USE_SUPABASE_PHONE_OTP"] == "true"
    stack.stack.preview(expect_no_changes=True, on_output=quiet)
