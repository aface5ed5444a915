"""The users' GitHub workflows (.github/workflows): lint, pins, secrets, and the PR preview's text.

The preview test reads the pulumi/actions step of preview.yml, turns its inputs into the CLI
command the action runs (the action drives `pulumi preview` through the Automation API and posts
its stdout), runs that against a throwaway `local` stack and checks the output is the diff.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import PLAIN, SECRETS
from local_services.stack_harness import REPO, StackHarness

WORKFLOWS = REPO / ".github" / "workflows"
ACTIONS = REPO / ".github" / "actions"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+)*\s*$")
# pulumi/actions inputs that become CLI flags; the rest only steer the action itself.
FLAG_INPUTS = {"diff": "--diff", "refresh": "--refresh", "expect-no-changes": "--expect-no-changes"}
VALUE_INPUTS = {"policyPacks": "--policy-pack"}
ACTION_ONLY_INPUTS = {"command", "stack-name", "cloud-url", "comment-on-pr", "edit-pr-comment", "github-token"}


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *ACTIONS.glob("*/action.yml")])


def steps(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in (document.get("jobs") or {}).values():
        yield from job.get("steps", [])
    yield from (document.get("runs") or {}).get("steps", [])


def test_actionlint_passes_on_every_workflow() -> None:
    result = subprocess.run(
        ["actionlint", *map(str, sorted(WORKFLOWS.glob("*.yml")))], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_three_workflows_exist() -> None:
    triggers = {path.name: yaml.safe_load(path.read_text())[True] for path in WORKFLOWS.glob("*.yml")}
    assert "pull_request" in triggers["preview.yml"]
    assert "schedule" in triggers["drift.yml"]
    assert triggers["deploy.yml"]["push"]["branches"] == ["main"]
    deploy = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
    assert deploy["jobs"]["up"]["environment"] == "production"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_third_party_action_is_pinned_by_commit_with_its_tag(path: Path) -> None:
    lines = path.read_text().splitlines()
    uses = [line for line in lines if line.strip().startswith(("uses:", "- uses:"))]
    assert uses
    for line in uses:
        target = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        if target.startswith("./"):
            continue  # our own composite action, versioned with this repository
        assert PINNED.match(target), line
        assert VERSION_COMMENT.search(line), f"pin without its version tag: {line}"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_credentials_come_only_from_the_secret_store(path: Path) -> None:
    text = path.read_text()
    document = yaml.safe_load(text)
    envs = [job.get("env", {}) for job in (document.get("jobs") or {}).values()]
    envs += [step.get("env", {}) for step in steps(document)]
    for env in envs:
        for key, value in env.items():
            if re.search(r"TOKEN|SECRET|KEY|PASSWORD|BACKEND_URL|WEBHOOK", key):
                assert re.fullmatch(r"\$\{\{ secrets\.\w+ \}\}", str(value)), f"{path.name}: {key}"
    assert not re.search(r"(sk|rk)_(live|test)_|whsec_|AKIA[0-9A-Z]{16}", text)


def preview_step() -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / "preview.yml").read_text())
    found = [step for step in steps(document) if str(step.get("uses", "")).startswith("pulumi/actions@")]
    assert len(found) == 1
    return found[0]


def cli_args(inputs: dict[str, Any]) -> list[str]:
    """The command the action runs for these inputs (stack and backend are the harness's)."""
    unknown = set(inputs) - set(FLAG_INPUTS) - set(VALUE_INPUTS) - ACTION_ONLY_INPUTS
    assert not unknown, f"map these pulumi/actions inputs to CLI flags here: {unknown}"
    args = [str(inputs["command"])]
    args += [flag for name, flag in FLAG_INPUTS.items() if inputs.get(name) is True]
    # The action runs in the repository root: relative paths are the repo's.
    args += [arg for name, flag in VALUE_INPUTS.items() if name in inputs for arg in (flag, str(REPO / inputs[name]))]
    return args


def test_preview_step_previews_prod_with_the_policy_pack_and_comments() -> None:
    inputs = preview_step()["with"]
    assert inputs["stack-name"] == "prod"
    assert inputs["comment-on-pr"] is True
    assert cli_args(inputs) == ["preview", "--diff", "--policy-pack", str(REPO / "policy")]


@pytest.fixture
def local_stack(tmp_path: Path, emulator: EmulatorControl) -> StackHarness:
    harness = StackHarness(tmp_path / "pulumi", name="local")
    harness.set_config({**PLAIN, "netlifyApiUrl": emulator.api_url, "siteUrl": emulator.site_url}, SECRETS)
    return harness


@pytest.mark.integration
def test_pr_preview_command_prints_the_diff_that_would_be_posted(local_stack: StackHarness) -> None:
    result = local_stack.cli(*cli_args(preview_step()["with"]), check=False)
    posted = result.stdout  # the action posts stdout
    assert result.returncode == 0, posted + result.stderr
    assert posted.startswith("Previewing update (local)"), posted
    # The rich diff: each new resource and its inputs, the policy verdict and the summary.
    assert re.search(r"^\s*\+ pulumi-python:dynamic/netlify:EnvVar: \(create\)", posted, re.M), posted
    assert re.search(r'^\s*key\s*: "PROCESS_COMMISSIONS"', posted, re.M), posted
    assert re.search(r"^Policy Packs run:\n.*\n\s+soundfactory\|local\|", posted, re.M), posted
    assert re.search(r"^Resources:\n\s+\+ \d+ to create", posted, re.M), posted
    for secret in SECRETS.values():
        assert secret not in posted


def test_pull_request_code_gets_credentials_only_after_approval() -> None:
    """Every job of preview.yml that reads a secret (besides GITHUB_TOKEN) runs in the protected
    `preview` environment, whose required reviewers approve each run; never pull_request_target."""
    document = yaml.safe_load((WORKFLOWS / "preview.yml").read_text())
    assert "pull_request_target" not in document[True]
    for name, job in document["jobs"].items():
        used = set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(job))) - {"GITHUB_TOKEN"}
        if used:
            assert job.get("environment") == "preview", f"job {name} reads {sorted(used)} outside `preview`"
    assert not re.findall(r"secrets\.(\w+)", yaml.safe_dump(document.get("env") or {}))
