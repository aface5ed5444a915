"""`sfops drift` on a real stack (Automation API, throwaway backend): 0 clean, 1 drift, 2 unknown."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from local_services.emulator_control import EmulatorControl
from local_services.stack_harness import REPO, StackHarness

pytestmark = pytest.mark.integration


def sfops_drift(stack: StackHarness) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **stack.env, "SFOPS_PROJECT_DIR": str(stack.project_dir)}
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

    emulator.inject_faults(1.0, ["500"])
    unknown = sfops_drift(stack)
    assert unknown.returncode == 2
    assert "could not check stack" in unknown.stderr
