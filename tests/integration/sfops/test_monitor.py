"""`sfops monitor` against the emulator's site with injected faults, alerts to a local receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import Result

from local_services.alert_receiver import AlertReceiver
from local_services.sample_stack import PLAIN, SECRETS
from local_services.twilio import RunningTwilio, start_emulator
from scripts.sfops import monitor
from tests.integration.sfops.conftest import Site, raw_config

pytestmark = pytest.mark.integration
WEBHOOK_SECRET = "whsec_monitor_test_5f1e"


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[AlertReceiver]:
    running = AlertReceiver().start()
    monkeypatch.setenv("SFOPS_SLACK_WEBHOOK_URL", f"{running.url}/slack/T000-hook-secret-1")
    monkeypatch.setenv("SFOPS_DISCORD_WEBHOOK_URL", f"{running.url}/discord/123-hook-secret-2")
    try:
        yield running
    finally:
        running.stop()


class Cron:
    """Runs `sfops monitor` as cron would: one cycle per run, one state file."""

    def __init__(self, site: Site, state_file: Path) -> None:
        self.site, self.state_file, self.logs = site, state_file, list[str]()

    def run(self, *extra: str, cycles: int = 1) -> Result:
        result = self.site.run(
            monitor.command, "--cycles", str(cycles), "--interval", "100", "--state-file", str(self.state_file), *extra
        )
        self.logs += result.stderr.splitlines()
        return result


@pytest.fixture
def cron(site: Site, tmp_path: Path) -> Cron:
    return Cron(site, tmp_path / "monitor.json")


@pytest.fixture
def twilio(site: Site, tmp_path: Path) -> Iterator[RunningTwilio]:
    """The stack's Twilio account on the emulator; the stack's twilioApiUrl points at it."""
    sid, token = PLAIN["twilioAccountSid"], SECRETS["twilioAuthToken"]
    with start_emulator(tmp_path / "twilio", sid, auth_token=token) as running:
        site.config = raw_config(site.emulator, twilioApiUrl=running.api_url)
        yield running


def add_sms(twilio: RunningTwilio, **counts: int) -> None:
    batches = [{"status": status, "count": count} for status, count in counts.items()]
    httpx.post(f"{twilio.control_url}/messages", json={"messages": batches}, timeout=5).raise_for_status()


def texts(receiver: AlertReceiver, vendor: str = "slack") -> list[str]:
    return [m["body"]["text" if vendor == "slack" else "content"] for m in receiver.received(vendor)]


def test_four_failures_then_a_success_fire_nothing(site: Site, cron: Cron, receiver: AlertReceiver) -> None:
    site.overrides(homepage_status=503)
    for _ in range(4):
        assert cron.run().exit_code == 0
    site.overrides(homepage_status=None)
    assert cron.run().exit_code == 0
    assert receiver.received() == []


def test_fifth_single_cycle_run_fires_once_and_two_successes_resolve_once(
    site: Site, cron: Cron, receiver: AlertReceiver
) -> None:
    site.overrides(homepage_status=503)
    for _ in range(4):
        cron.run()
    assert receiver.received() == []
    assert cron.run().exit_code == 1  # the fifth run in a row: firing
    assert [t.split(":")[0] for t in texts(receiver)] == ["ALERT"]
    assert "homepage is down: HTTP 503" in texts(receiver)[0]
    assert len(texts(receiver, "discord")) == 1
    cron.run()
    assert len(receiver.received()) == 2  # still failing: no second alert
    site.overrides(homepage_status=None)
    cron.run()
    assert len(receiver.received()) == 2  # one success is not enough
    assert cron.run().exit_code == 0
    assert [t.split(":")[0] for t in texts(receiver)] == ["ALERT", "RESOLVED"]
    assert [t.split(":")[0] for t in texts(receiver, "discord")] == ["ALERT", "RESOLVED"]


def test_flapping_below_the_threshold_fires_nothing(site: Site, cron: Cron, receiver: AlertReceiver) -> None:
    for _ in range(3):
        site.overrides(homepage_status=503)
        cron.run(cycles=4)
        site.overrides(homepage_status=None)
        cron.run()
    assert receiver.received() == []


def test_failed_delivery_is_retried_next_cycle(site: Site, cron: Cron, receiver: AlertReceiver) -> None:
    site.overrides(homepage_status=503)
    receiver.fail(500, 500, 500)  # Slack (tried first) refuses all three attempts of this cycle
    cron.run("--fail-after", "1")
    assert receiver.received("slack") == []
    assert len(texts(receiver, "discord")) == 1
    pending = json.loads(cron.state_file.read_text())["alerts"]["pending"]
    assert [p["channels"] for p in pending] == [["slack"]]  # not counted as sent
    cron.run("--fail-after", "1")
    assert len(texts(receiver)) == 1
    assert texts(receiver)[0].startswith("ALERT")
    assert len(texts(receiver, "discord")) == 1  # delivered once, not again
    assert json.loads(cron.state_file.read_text())["alerts"]["pending"] == []


def test_rate_limited_delivery_is_retried_within_the_cycle(site: Site, cron: Cron, receiver: AlertReceiver) -> None:
    site.overrides(homepage_status=503)
    receiver.fail(429)
    cron.run("--fail-after", "1")
    assert len(texts(receiver)) == 1


def test_function_alerts_are_suppressed_while_the_homepage_is_down(
    site: Site, cron: Cron, receiver: AlertReceiver
) -> None:
    site.overrides(homepage_status=503, functions={"send-sms": {"status": 404}})
    cron.run("--fail-after", "2", cycles=3)
    assert len(texts(receiver)) == 1
    assert "homepage is down" in texts(receiver)[0]
    site.overrides(homepage_status=None)
    cron.run("--fail-after", "2", cycles=2)
    assert any("function:send-sms is down" in t for t in texts(receiver))


def test_slow_homepage_is_degraded_not_down(site: Site, cron: Cron, receiver: AlertReceiver) -> None:
    site.overrides(homepage_delay_ms=250)
    cron.run("--fail-after", "2", "--slow-ms", "100", cycles=2)
    assert len(texts(receiver)) == 1
    assert "homepage is degraded (slow)" in texts(receiver)[0]


def test_webhook_latency_alert_fires_and_resolves(
    site: Site, cron: Cron, receiver: AlertReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.emulator.add_by_hand("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    site.deploy()
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    site.overrides(functions={"stripe-webhook": {"delay_ms": 400}})
    fast = ("--fail-after", "2", "--resolve-after", "2", "--webhook-max-ms", "300", "--slow-ms", "5000")
    cron.run(*fast, cycles=2)
    assert any("stripe-webhook-latency is degraded (slow)" in t for t in texts(receiver)), texts(receiver)
    site.overrides(functions={"stripe-webhook": {"delay_ms": 0}})
    cron.run(*fast, cycles=2)
    assert any(t.startswith("RESOLVED: stripe-webhook-latency") for t in texts(receiver))
    # The signed event was accepted (2xx): the probe signs as Stripe does.
    last = json.loads(cron.state_file.read_text())["last"]["stripe-webhook-latency"]
    assert last["status"] == "up", last


def test_no_secret_in_any_log_line(
    site: Site, cron: Cron, receiver: AlertReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    site.overrides(homepage_status=503)
    cron.run("--fail-after", "1", cycles=2)
    assert cron.logs, "the monitor logs JSON lines"
    records = [json.loads(line) for line in cron.logs if line.startswith("{")]
    assert {r["event"] for r in records} >= {"probe", "alert"}
    secrets = [*SECRETS.values(), WEBHOOK_SECRET, "T000-hook-secret-1", "123-hook-secret-2"]
    for line in cron.logs:
        for secret in secrets:
            assert secret not in line


SMS_RATE = ("--sms-min-attempts", "20", "--sms-max-failure-rate", "0.10")


def test_sms_failure_rate_alert_fires_above_ten_percent_and_resolves(
    cron: Cron, receiver: AlertReceiver, twilio: RunningTwilio
) -> None:
    add_sms(twilio, delivered=17, failed=2, undelivered=1)  # 3/20 = 15%
    assert cron.run(*SMS_RATE).exit_code == 1
    alerts = [t for t in texts(receiver) if "sms-failure-rate" in t]
    assert len(alerts) == 1, alerts
    assert alerts[0].startswith("ALERT")
    assert "3/20 SMS failed" in alerts[0]
    add_sms(twilio, delivered=20)  # 3/40 = 7.5%: below the limit
    cron.run(*SMS_RATE, cycles=2)
    alerts = [t for t in texts(receiver) if "sms-failure-rate" in t]
    assert [t.split(":")[0] for t in alerts] == ["ALERT", "RESOLVED"]
    last = json.loads(cron.state_file.read_text())["last"]["sms-failure-rate"]
    assert last["status"] == "up", last
    assert "3/40" in last["detail"]


def test_sms_failure_rate_at_the_limit_or_below_the_minimum_fires_nothing(
    cron: Cron, receiver: AlertReceiver, twilio: RunningTwilio
) -> None:
    add_sms(twilio, failed=10, sent=5)  # 67% failed, but only 15 attempts (< 20)
    cron.run(*SMS_RATE, cycles=2)
    last = json.loads(cron.state_file.read_text())["last"]["sms-failure-rate"]
    assert last["status"] == "unknown", last
    assert "15 SMS" in last["detail"]
    add_sms(twilio, delivered=85)  # 10/100 = 10%: not above the limit
    cron.run(*SMS_RATE, cycles=2)
    assert json.loads(cron.state_file.read_text())["last"]["sms-failure-rate"]["status"] == "up"
    assert [t for t in texts(receiver) if "sms-failure-rate" in t] == []
