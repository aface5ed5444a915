"""`sfops drift` on a real stack (Automation API, throwaway backend): 0 clean, 1 drift, 2 unknown."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from local_services.emulator_control import EmulatorControl
from local_services.stack_harness import REPO, StackHarness

pytestmark = pytest.mark.integration


def sfops_drift(stack: StackHarness, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **stack.env, "SFOPS_PROJECT_DIR": str(stack.project_dir), **extra_env}
    return subprocess.run(
        [str(REPO / "scripts" / "bin" / "sfops"), "--stack", stack.stack.name, "--json", "drift"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_drift_exit_codes(stack: StackHarness, emulator: EmulatorControl) -> None:
    stack.stack.up(on_output=lambda _: None)
    clean = sfops_drift(stack)
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["drift"] is False

    emulator.set_value_by_hand("PROCESS_COMMISSIONS", "production", "false")
    drifted = sfops_drift(stack)
    assert drifted.returncode == 1, drifted.stderr
    names = {r["name"]: r for r in json.loads(drifted.stdout)["resources"]}
    assert names["site-PROCESS_COMMISSIONS"]["op"] == "update"

    # Every API call fails; one attempt each, so the check gives up in seconds rather than
    # riding out the outage with the default eight attempts and their backoff.
    emulator.inject_faults(1.0, ["500"])
    unknown = sfops_drift(stack, SOUNDFACTORY_API_RETRY_ATTEMPTS="1")
    assert unknown.returncode == 2
    assert "could not check stack" in unknown.stderr
