"""`sfops monitor`: the playbook's production monitor (§4, §8, §12) with alerting.

Probes the homepage, the three functions, the Stripe webhook's latency (a signed event,
when STRIPE_WEBHOOK_SECRET is set) and the SMS failure rate from Twilio's Messages API,
all at once, every --interval. Alerts go to Slack/Discord (SFOPS_SLACK_WEBHOOK_URL,
SFOPS_DISCORD_WEBHOOK_URL) and to the JSON log on stderr. State persists in a file, so
`MONITOR_CYCLES=1` from cron counts across runs. `--serve` adds the status page.

Exit 0 when no alert is firing at the end, 1 when one is, 2 when it could not check (cannot
start, or cannot keep its state file). A state file that cannot be read is moved aside with a
warning and monitoring goes on (monitoring/state.py), so one bad file never stops the alerts.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from scripts.sfops import function_probes
from scripts.sfops.context import AppContext, Exit, SfopsError
from scripts.sfops.monitoring import alerting
from scripts.sfops.monitoring.cycle import Monitor, make_logger
from scripts.sfops.monitoring.notifiers import notifiers_from_env
from scripts.sfops.monitoring.probes import (
    FUNCTIONS,
    HttpProbe,
    Probe,
    ProbeResult,
    SignedPostDelivery,
    SmsFailureRateProbe,
    WebhookLatencyProbe,
)
from scripts.sfops.monitoring.state import STATE_DIR_ENV, default_state_file
from scripts.sfops.monitoring.statuspage import StatusServer
from scripts.sfops.output import checks_table

WEBHOOK_SECRET_ENV = "STRIPE_WEBHOOK_SECRET"  # noqa: S105 - a variable name
TWILIO_API_ENV = "SFOPS_TWILIO_API_URL"


def build_probes(
    app: AppContext, *, slow_ms: float, webhook_max_ms: float, sms: dict[str, Any], twilio_api_url: str
) -> list[Probe]:
    site = app.config.netlify.site_url
    probes: list[Probe] = [HttpProbe("homepage", site + "/", slow_ms=slow_ms)]
    for name in ("send-sms", "verify-sms"):
        probes.append(
            HttpProbe(
                f"function:{name}",
                f"{site}{FUNCTIONS}{name}",
                method="POST",
                json_body=function_probes.PROBE_BODY,
                judge=functools.partial(function_probes.judge, name),
                slow_ms=slow_ms,
                depends_on="homepage",
            )
        )
    # Unsigned: must be refused (400). Anything else means it is broken or unprotected.
    probes.append(
        HttpProbe(
            "function:stripe-webhook",
            f"{site}{FUNCTIONS}stripe-webhook",
            method="POST",
            json_body={"type": "monitor.unsigned"},
            ok_statuses=(400,),
            slow_ms=slow_ms,
            depends_on="homepage",
        )
    )
    secret = os.environ.get(WEBHOOK_SECRET_ENV, "")
    if secret:
        delivery = SignedPostDelivery(f"{site}{FUNCTIONS}stripe-webhook", secret)
        probes.append(WebhookLatencyProbe("stripe-webhook-latency", delivery, max_latency_ms=webhook_max_ms))
    twilio = app.config.app.twilio
    if twilio is not None and not app.config.flags["USE_SUPABASE_PHONE_OTP"]:
        probes.append(
            SmsFailureRateProbe("sms-failure-rate", twilio_api_url, twilio.account_sid, twilio.auth_token, **sms)
        )
    return probes


def _secrets(app: AppContext) -> list[str]:
    env = [os.environ.get(k, "") for k in (WEBHOOK_SECRET_ENV, "SFOPS_SLACK_WEBHOOK_URL", "SFOPS_DISCORD_WEBHOOK_URL")]
    return app.raw_config.secret_values() + [value for value in env if value]


@click.command("monitor")
@click.option("--interval", "interval_ms", type=click.IntRange(100), envvar="MONITOR_INTERVAL", default=30000,
              show_default=True, help="ms between cycles ($MONITOR_INTERVAL)")  # fmt: skip
@click.option("--cycles", type=click.IntRange(0), envvar="MONITOR_CYCLES", default=0, show_default=True,
              help="stop after this many cycles, 0 = run until stopped ($MONITOR_CYCLES)")  # fmt: skip
@click.option("--fail-after", type=click.IntRange(1), default=5, show_default=True, help="failures that fire an alert")
@click.option("--resolve-after", type=click.IntRange(1), default=2, show_default=True, help="successes that resolve it")
@click.option("--remind-every", type=click.FloatRange(1), default=3600.0, show_default=True, help="seconds")
@click.option("--slow-ms", type=click.FloatRange(1), default=2000.0, show_default=True, help="degraded above this")
@click.option("--webhook-max-ms", type=click.FloatRange(1), default=3000.0, show_default=True)
@click.option("--sms-window", type=click.FloatRange(60), default=900.0, show_default=True, help="seconds")
@click.option("--sms-min-attempts", type=click.IntRange(1), default=20, show_default=True)
@click.option("--sms-max-failure-rate", type=click.FloatRange(0, 1), default=0.10, show_default=True)
@click.option("--twilio-api-url", envvar=TWILIO_API_ENV, default=None, help="default: the stack's twilioApiUrl")
@click.option("--timeout", "timeout_s", type=click.FloatRange(0.1), default=10.0, show_default=True)
@click.option("--state-file", type=click.Path(path_type=Path), default=None, help="default: per stack, see README")
@click.option("--serve", is_flag=True, help="also serve the status page on loopback")
@click.option("--port", type=click.IntRange(0, 65535), default=8089, show_default=True, help="status page port")
@click.pass_obj
def command(
    app: AppContext,
    interval_ms: int,
    cycles: int,
    fail_after: int,
    resolve_after: int,
    remind_every: float,
    slow_ms: float,
    webhook_max_ms: float,
    sms_window: float,
    sms_min_attempts: int,
    sms_max_failure_rate: float,
    twilio_api_url: str | None,
    timeout_s: float,
    state_file: Path | None,
    serve: bool,
    port: int,
) -> None:
    """Probe the site every --interval; alert on 5 failures in a row, resolve on 2 successes."""
    if twilio_api_url is None:
        # The local stack's twilioApiUrl is its emulator's loopback port.
        twilio_api_url = app.config.twilio_api_url
    sms = {"window_s": sms_window, "min_attempts": sms_min_attempts, "max_failure_rate": sms_max_failure_rate}
    probes = build_probes(app, slow_ms=slow_ms, webhook_max_ms=webhook_max_ms, sms=sms, twilio_api_url=twilio_api_url)
    policy = alerting.AlertPolicy(fail_after, resolve_after, remind_every)
    # The SMS rate is already judged over a window with a minimum of attempts: one bad window fires.
    policies = {"sms-failure-rate": alerting.AlertPolicy(1, resolve_after, remind_every)}
    path = state_file or default_state_file(app.stack)
    monitor = Monitor(probes, policy, notifiers_from_env(), path, make_logger(_secrets(app)), timeout_s, policies)
    server: StatusServer | None = None
    if serve:
        server = StatusServer(port, path, f"Sound Factory monitor ({app.stack})", hours=6, refresh_s=10)
        server.start()
        app.out.info(f"status page: {server.url}")
    app.out.info(f"monitoring {app.config.netlify.site_url}: {len(probes)} checks, state {path}")
    done, firing, results, warned = 0, list[str](), list[ProbeResult](), list[str]()
    try:
        while True:
            started = time.monotonic()
            try:
                results, firing = monitor.cycle()
            except OSError as exc:
                raise SfopsError(
                    f"cannot keep the monitor state in {path}: {exc.strerror or exc} "
                    f"(fix: --state-file or ${STATE_DIR_ENV} pointing at a writable directory)"
                ) from None
            for note in monitor.notes[len(warned) :]:
                app.out.warn(note)
                warned.append(note)
            done += 1
            if cycles and done >= cycles:
                break
            time.sleep(max(0.0, interval_ms / 1000 - (time.monotonic() - started)))
    except KeyboardInterrupt:
        app.out.info("stopped")
    finally:
        if server is not None:
            server.shutdown()
    data = {
        "cycles": done,
        "firing": firing,
        "state_recovered": monitor.notes,
        "checks": [
            {"check": r.check, "status": r.status, "latency_ms": r.latency_ms, "detail": r.detail} for r in results
        ],
    }

    def render(console: Console) -> None:
        rows = [(r.check, r.status, f"{r.detail} ({r.latency_ms or 0:.0f} ms)") for r in results]
        console.print(checks_table(f"monitor: last cycle of {done}", rows))
        console.print(f"firing: {', '.join(firing)}" if firing else "no alerts firing")

    app.out.result(data, render)
    click.get_current_context().exit(int(Exit.FAILED if firing else Exit.OK))
