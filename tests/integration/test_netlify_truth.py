"""No variable lost, and what refresh says is what the site runs (the on-call defects, on the real engine)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import SECRETS, TOKEN
from local_services.stack_harness import StackHarness, quiet
from tests.integration.test_netlify_operations import spawn_up_until_its_build_starts, wait_for_ready

pytestmark = pytest.mark.integration

TWILIO_KEYS = ("twilioAccountSid", "twilioAuthToken", "twilioFromNumber")


def drift_check(stack: StackHarness) -> subprocess.CompletedProcess[str]:
    """The README's standing drift check, as cron runs it."""
    return stack.cli("preview", "--refresh", "--expect-no-changes", "--diff", check=False)


def builds(emulator: EmulatorControl) -> int:
    return sum(1 for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith("/builds"))


@pytest.mark.deployed
def test_respelling_how_we_reach_the_site_changes_nothing_there(stack: StackHarness, emulator: EmulatorControl) -> None:
    published = emulator.published_env()
    env = emulator.env()
    emulator.clear_requests()

    respelled = emulator.api_url.replace("127.0.0.1", "localhost") + "/"
    stack.set_config({"netlifyApiUrl": respelled, "netlifyAccountId": emulator.account_id.upper()})
    stack.stack.up(on_output=quiet)
    stack.set_config({"netlifyApiUrl": emulator.api_url, "netlifyAccountId": emulator.account_id})
    stack.stack.up(on_output=quiet)

    assert emulator.mutating_requests() == []
    assert emulator.env() == env
    assert emulator.published_env() == published
    stack.stack.preview(expect_no_changes=True, on_output=quiet)


@pytest.mark.deployed
def test_a_removed_variable_leaves_the_live_deploy_in_the_same_up(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    assert "TWILIO_AUTH_TOKEN" in emulator.published_env()["env"]
    emulator.clear_requests()

    stack.set_config({"USE_SUPABASE_PHONE_OTP": "true"})
    stack.remove_config(*TWILIO_KEYS)
    stack.stack.up(on_output=quiet)

    live = emulator.published_env()["env"]
    assert not [key for key in live if key.startswith("TWILIO_")], live
    assert live["USE_SUPABASE_PHONE_OTP"] == "true"
    assert not [key for key in emulator.env() if key.startswith("TWILIO_")]
    assert builds(emulator) == 1
    assert drift_check(stack).returncode == 0


@pytest.mark.deployed
@pytest.mark.parametrize(
    ("undone_by_hand", "named"),
    [(False, "PROCESS_COMMISSIONS"), (True, "stale: PROCESS_COMMISSIONS changed in Netlify after the live build")],
    ids=["edit-then-build", "edit-build-undo"],
)
def test_a_hand_edit_behind_a_hand_build_is_drift_and_one_up_rebuilds(
    stack: StackHarness, emulator: EmulatorControl, undone_by_hand: bool, named: str
) -> None:
    emulator.set_value_by_hand("PROCESS_COMMISSIONS", "production", "false")
    wait_for_ready(emulator, emulator.build_by_hand())
    assert emulator.published_env()["env"]["PROCESS_COMMISSIONS"] == "false"
    if undone_by_hand:  # the variable looks right again, but the live deploy still runs "false"
        emulator.set_value_by_hand("PROCESS_COMMISSIONS", "production", "true")

    check = drift_check(stack)
    assert check.returncode != 0
    assert named in check.stdout

    emulator.clear_requests()
    stack.cli("up", "--refresh", "--yes", "--skip-preview")
    assert emulator.published_env()["env"]["PROCESS_COMMISSIONS"] == "true"
    assert builds(emulator) == 1
    assert drift_check(stack).returncode == 0


@pytest.mark.deployed
def test_a_hand_restore_without_a_lock_is_drift_and_up_publishes_the_newest(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    older = emulator.site()["published_deploy"]["id"]
    stack.set_config({"PROCESS_COMMISSIONS": "false"})
    stack.stack.up(on_output=quiet)
    newest = emulator.site()["published_deploy"]["id"]
    assert newest != older

    emulator.restore_by_hand(older)
    assert emulator.site()["published_deploy"]["locked"] is False

    check = drift_check(stack)
    assert check.returncode != 0
    assert "published by hand without a lock" in check.stdout

    emulator.clear_requests()
    stack.cli("up", "--refresh", "--yes", "--skip-preview")
    assert emulator.site()["published_deploy"]["id"] == newest
    assert builds(emulator) == 0
    assert drift_check(stack).returncode == 0


def test_a_value_stored_with_secret_stays_secret_in_pulumi(stack: StackHarness, emulator: EmulatorControl) -> None:
    sid = "AC" + "5e" * 16
    stack.set_config({}, {"twilioAccountSid": sid})
    stack.stack.up(on_output=quiet)

    # Netlify holds the account SID as what it is (an identifier, not a credential: issue 19), so
    # the build's secrets scan passes; Pulumi keeps it encrypted as the operator asked.
    variable = emulator.env()["TWILIO_ACCOUNT_SID"]
    assert variable["is_secret"] is False
    assert sid not in stack.export()
    assert sid not in stack.cli("stack", "output", "--json").stdout


def session_processes(session: int) -> list[str]:
    """Command lines of the live processes in a session (the killed `pulumi up` led its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z" and int(fields[3]) == session:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (OSError, ValueError):
            continue
    return found


def test_no_process_of_a_killed_up_outlives_it(stack: StackHarness, emulator: EmulatorControl) -> None:
    with spawn_up_until_its_build_starts(stack, emulator, {"PROCESS_COMMISSIONS": "false"}) as cli:
        assert any("pulumi.dynamic" in line or "engine-watchdog" in line for line in session_processes(cli.pid))
        os.kill(cli.pid, signal.SIGKILL)  # the CLI alone, as `kill -9` or the OOM killer would

    deadline = time.monotonic() + 10
    while session_processes(cli.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert session_processes(cli.pid) == []
    stack.cli("cancel", "--yes")


@pytest.mark.deployed
def test_secrets_never_reach_previews_of_these_changes(stack: StackHarness, emulator: EmulatorControl) -> None:
    emulator.set_value_by_hand("STRIPE_SECRET_KEY", "production", "sk_test_handmade")
    check = drift_check(stack)
    for name, value in SECRETS.items():
        assert value not in check.stdout + check.stderr, name
    assert "sk_test_handmade" not in check.stdout


def test_without_a_configured_pepper_one_is_generated_once_and_kept(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    stack.remove_config("smsPepper")
    stack.stack.up(on_output=quiet)
    pepper = emulator.published_env()["env"]["SMS_PEPPER"]  # sha256 of the value: it is a secret
    assert emulator.env()["SMS_PEPPER"]["is_secret"] is True

    stack.stack.preview(expect_no_changes=True, on_output=quiet)
    stack.stack.refresh(expect_no_changes=True, on_output=quiet)
    assert emulator.published_env()["env"]["SMS_PEPPER"] == pepper


OTHER_SITE = "0e0c3e1a-2b4d-4c6e-8a10-0123456789ab"


@pytest.mark.deployed
@pytest.mark.parametrize(
    ("account", "named"),
    [
        (None, "refusing to write its variables (secrets included) to site " + OTHER_SITE),
        ("another-team", "refusing to write its variables (secrets included) to site " + OTHER_SITE),
    ],
    ids=["same-account", "another-account"],
)
def test_another_sites_id_fails_preview_naming_both_sites(
    stack: StackHarness, emulator: EmulatorControl, account: str | None, named: str
) -> None:
    emulator.add_site(OTHER_SITE, account or emulator.account_id, "other-site")
    env = emulator.env()
    emulator.clear_requests()

    stack.set_config({"netlifySiteId": OTHER_SITE})
    previewed = stack.cli("preview", "--diff", check=False)
    output = previewed.stdout + previewed.stderr
    assert previewed.returncode != 0
    assert named in output
    assert f"this stack manages site {emulator.site_id}" in output
    applied = stack.cli("up", "--yes", "--skip-preview", check=False)
    assert applied.returncode != 0

    assert emulator.mutating_requests() == []
    assert emulator.env() == env


def test_a_fresh_stack_refuses_a_site_of_another_account_or_address(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    emulator.add_site(OTHER_SITE, "another-team", "other-site")
    stack.set_config({"netlifySiteId": OTHER_SITE})
    previewed = stack.cli("preview", check=False)
    assert previewed.returncode != 0
    assert f"belongs to account another-team, not to netlifyAccountId {emulator.account_id}" in previewed.stdout

    emulator.add_site(OTHER_SITE.replace("0e0c", "0d0c"), emulator.account_id, "third-site")
    stack.set_config({"netlifySiteId": OTHER_SITE.replace("0e0c", "0d0c")})
    previewed = stack.cli("preview", check=False)
    assert previewed.returncode != 0
    assert f"siteUrl: {emulator.site_url} is not an address of site" in previewed.stdout
    assert emulator.mutating_requests() == []


@pytest.mark.deployed
def test_a_move_on_purpose_writes_the_new_site_and_keeps_the_old_sites_variables(
    stack: StackHarness, emulator: EmulatorControl
) -> None:
    old = emulator.env()
    emulator.add_site(OTHER_SITE, emulator.account_id, "new-home", url="https://new-home.example")
    stack.set_config(
        {"netlifySiteMoveFrom": emulator.site_id, "netlifySiteId": OTHER_SITE, "siteUrl": "https://new-home.example"}
    )
    stack.stack.up(on_output=quiet)

    assert emulator.env() == old, "the old site lost variables"
    moved = EmulatorControl(emulator.api_url, emulator.site_url, OTHER_SITE, emulator.account_id, TOKEN).env()
    assert set(moved) == set(old)
    stack.remove_config("netlifySiteMoveFrom")
    stack.stack.preview(expect_no_changes=True, on_output=quiet)
