"""`sfops drift` on a real stack (Automation API, throwaway backend): 0 clean, 1 drift, 2 unknown."""

from __future__ import annotations

import json
import subprocess

import pytest

from local_services.emulator_control import EmulatorControl
from local_services.stack_harness import StackHarness
from local_services.stripe_control import StripeControl

pytestmark = pytest.mark.integration


def sfops_drift(stack: StackHarness, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return stack.sfops("--json", "drift", **extra_env)


def resources(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    return {r["name"]: r for r in json.loads(result.stdout)["resources"]}


@pytest.mark.deployed
def test_drift_exit_codes(stack: StackHarness, emulator: EmulatorControl) -> None:
    clean = sfops_drift(stack)
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["drift"] is False

    emulator.set_value_by_hand("PROCESS_COMMISSIONS", "production", "false")
    drifted = sfops_drift(stack)
    assert drifted.returncode == 1, drifted.stderr
    # The variable and its field only: not the build whose staleness follows from it.
    found = resources(drifted)
    assert list(found) == ["site-PROCESS_COMMISSIONS"]
    assert found["site-PROCESS_COMMISSIONS"]["op"] == "changed"
    assert found["site-PROCESS_COMMISSIONS"]["changes"] == [
        {"field": "values.production", "old": "true", "new": "false"}
    ]

    # Every API call fails; one attempt each, so the check gives up in seconds rather than
    # riding out the outage with the default eight attempts and their backoff.
    emulator.inject_faults(1.0, ["500"])
    unknown = sfops_drift(stack, SOUNDFACTORY_API_RETRY_ATTEMPTS="1")
    assert unknown.returncode == 2
    assert "could not check stack" in unknown.stderr


@pytest.mark.deployed
def test_drift_names_secret_and_stripe_fields_without_values(
    stack: StackHarness, emulator: EmulatorControl, stripe_api: StripeControl
) -> None:
    emulator.set_value_by_hand("STRIPE_SECRET_KEY", "production", "sk_test_typed_in_the_dashboard_0001")
    (endpoint,) = stripe_api.endpoints()
    stripe_api.edit_by_hand(endpoint["id"], disabled=True)

    drifted = sfops_drift(stack)
    assert drifted.returncode == 1, drifted.stderr
    found = resources(drifted)
    assert sorted(found) == ["site-STRIPE_SECRET_KEY", "stripe-webhook-endpoint"]
    assert found["site-STRIPE_SECRET_KEY"]["changes"] == [{"field": "values", "change": "changed"}]
    assert found["stripe-webhook-endpoint"]["changes"] == [{"field": "disabled", "old": False, "new": True}]
    assert "sk_test_typed_in_the_dashboard_0001" not in drifted.stdout + drifted.stderr

    # After `pulumi refresh` wrote the hand changes into state, the code still differs: listed as such.
    stack.stack.refresh(on_output=lambda _: None)
    recorded = sfops_drift(stack)
    assert recorded.returncode == 1, recorded.stderr
    assert {"site-STRIPE_SECRET_KEY", "stripe-webhook-endpoint"} <= set(resources(recorded))
    assert {r["op"] for r in resources(recorded).values()} <= {"update", "replace"}

    stack.stack.up(on_output=lambda _: None)
    assert sfops_drift(stack).returncode == 0
