"""Alert texts an operator reads: a reminder says when the alert fired in words, not an epoch."""

from __future__ import annotations

from scripts.sfops.monitoring import alerting

FIRED = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def test_a_reminder_names_the_time_it_fired_and_how_long_ago() -> None:
    state = alerting.AlertState()
    policy = alerting.AlertPolicy(fire_after=1, resolve_after=2, remind_every_s=3600)
    alerting.evaluate(state, {"homepage": "down"}, {"homepage": "HTTP 503"}, policy, [], FIRED)
    [fired] = state.pending
    alerting.mark_delivered(state, fired, "", FIRED)
    later = FIRED + 3600 + 125
    alerting.evaluate(state, {"homepage": "down"}, {"homepage": "HTTP 503"}, policy, [], later)
    [reminder] = state.pending
    assert reminder.kind == "remind"
    assert reminder.text == "STILL FIRING: homepage is down since 2023-11-14 22:13 UTC (1h 2m ago): HTTP 503"
    assert str(int(FIRED)) not in reminder.text


def test_human_time_in_days_and_unknown() -> None:
    assert alerting.human_time(FIRED, FIRED + 2 * 86400 + 3 * 3600) == "2023-11-14 22:13 UTC (2d 3h ago)"
    assert alerting.human_time(None, FIRED) == "an unknown time"
