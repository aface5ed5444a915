"""A damaged, foreign or older monitor state file never stops monitoring (cron runs, one cycle each)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_services.alert_receiver import AlertReceiver
from scripts.sfops.context import SfopsError
from tests.integration.sfops.conftest import Site
from tests.integration.sfops.test_monitor import Cron, cron, receiver, texts

pytestmark = pytest.mark.integration
__all__ = ["cron", "receiver"]  # fixtures, used by name

FIRING_HOMEPAGE = {"failures": 0, "successes": 0, "firing": True, "fired_at": 1_700_000_000.0,
                   "last_notified_at": 1_700_000_000.0, "notifications_sent": 1}  # fmt: skip
DAMAGES: dict[str, bytes] = {
    "garbage": b"\x00\x01 this is not json",
    "truncated": b'{"format": "sfops-monitor-state", "version": 2, "alerts": {"tracks": {"homepage": {"fail',
    "a list": b"[]",
    "wrong shape: tracks a list": b'{"format": "sfops-monitor-state", "version": 2, "alerts": {"tracks": []}}',
    "wrong shape: failures text": json.dumps(
        {"format": "sfops-monitor-state", "version": 2, "alerts": {"tracks": {"homepage": {"failures": "many"}}}}
    ).encode(),
    "wrong shape: unknown track field": json.dumps(
        {"format": "sfops-monitor-state", "version": 2, "alerts": {"tracks": {"homepage": {"streak": 3}}}}
    ).encode(),
    "non-UTF-8": '{"format": "sfops-monitor-state", "version": 2, "last": {"café": 1}}'.encode("latin-1"),
    "empty": b"",
    "another program's JSON": b'{"name": "something else"}',
}


def aside(state_file: Path) -> list[Path]:
    return sorted(state_file.parent.glob(f"{state_file.name}.unreadable-*"))


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_state_file_is_set_aside_and_alerts_still_fire_and_resolve(
    site: Site, cron: Cron, receiver: AlertReceiver, damage: str
) -> None:
    cron.state_file.write_bytes(DAMAGES[damage])
    site.overrides(homepage_status=503)
    first = cron.run()
    assert first.exit_code == 0  # one failure so far: nothing firing, and no crash
    assert f"state file {cron.state_file} could not be read" in first.stderr
    assert "alerts start afresh from the next failures" in first.stderr
    [moved] = aside(cron.state_file)
    assert moved.read_bytes() == DAMAGES[damage]  # kept for inspection, as it was
    assert json.loads(cron.state_file.read_text())["version"] == 2
    for _ in range(3):
        assert cron.run().exit_code == 0
    assert cron.run().exit_code == 1  # the fifth failure in a row fires
    site.overrides(homepage_status=None)
    cron.run()
    assert cron.run().exit_code == 0
    assert [t.split(":")[0] for t in texts(receiver)] == ["ALERT", "RESOLVED"]
    assert len(aside(cron.state_file)) == 1  # the fresh file was never set aside again


def test_a_firing_alert_of_the_previous_version_is_resolved(site: Site, cron: Cron, receiver: AlertReceiver) -> None:
    version_1 = {"version": 1, "alerts": {"tracks": {"homepage": FIRING_HOMEPAGE}, "pending": []},
                 "history": {}, "last": {}, "cycles": 40}  # fmt: skip
    cron.state_file.write_text(json.dumps(version_1))
    first = cron.run()
    assert first.exit_code == 1  # still firing until two successes
    assert "could not be read" not in first.stderr  # migrated, not set aside
    assert aside(cron.state_file) == []
    assert cron.run().exit_code == 0
    assert [t.split(":")[0] for t in texts(receiver)] == ["RESOLVED"]
    migrated = json.loads(cron.state_file.read_text())
    assert (migrated["format"], migrated["version"], migrated["cycles"]) == ("sfops-monitor-state", 2, 42)


def test_a_firing_alert_in_a_file_of_another_version_is_carried_over(
    site: Site, cron: Cron, receiver: AlertReceiver
) -> None:
    future = {"format": "sfops-monitor-state", "version": 7, "alerts": {"tracks": {"homepage": FIRING_HOMEPAGE}},
              "something_new": {"x": 1}}  # fmt: skip
    cron.state_file.write_text(json.dumps(future))
    first = cron.run()
    assert "still firing: homepage" in first.stderr
    assert len(aside(cron.state_file)) == 1
    assert cron.run().exit_code == 0
    assert [t.split(":")[0] for t in texts(receiver)] == ["RESOLVED"]


def test_a_state_file_that_cannot_be_written_is_could_not_check(site: Site, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    # The command alone raises what the sfops group turns into "error: ..." and its exit code.
    with pytest.raises(SfopsError) as raised:
        Cron(site, blocker / "monitor.json").run()
    assert int(raised.value.code) == 2
    assert f"cannot keep the monitor state in {blocker / 'monitor.json'}" in str(raised.value)
    assert "SFOPS_STATE_DIR" in str(raised.value)
