"""`sfops drill`: replay the incident flow of playbook 9 against a local stack, timed.

detect -> snapshot -> flip a flag -> roll back by pin -> verify -> unpin -> resolve, each step
with the commands an on-call would run (`pulumi config set ... && pulumi up`, `sfops monitor`,
`sfops verify`), then a timeline with each step's duration.

The incident is staged on the Netlify emulator, so the drill refuses a site that is not on
loopback: a "bad release" (a production build) whose stripe-webhook function fails (a site
override). The emulator cannot tie a fault to a deploy's code, so the drill stands in for
that: it lifts the fault once the known-good deploy is published (what the rollback buys).
After the unpin the newest build serves with PROCESS_COMMISSIONS=false, the flag that keeps
the broken commission path off (playbook 5.4); the drill then puts the flag back as it found it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import httpx
import yaml
from rich.console import Console
from rich.table import Table

from components.netlify.build import BuildFailed, wait_until_ready
from scripts.sfops.context import REPO, AppContext, Exit, SfopsError, run_pulumi
from scripts.sfops.incident_bundle import write_bundle
from scripts.sfops.monitoring.probes import FUNCTIONS

FLAG = "PROCESS_COMMISSIONS"
BROKEN_FUNCTION = "stripe-webhook"
ALERT = f"function:{BROKEN_FUNCTION}"
FAULT = {"functions": {BROKEN_FUNCTION: {"status": 500}}}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
STAGED_BUILD_TIMEOUT_S = 120


@dataclass
class Step:
    name: str
    started_at: str
    seconds: float
    detail: str = ""


@dataclass
class Timeline:
    steps: list[Step] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        entry = Step(name, datetime.now(UTC).isoformat(timespec="milliseconds"), 0.0)
        started = time.monotonic()
        try:
            yield entry
        finally:
            entry.seconds = round(time.monotonic() - started, 2)
            self.steps.append(entry)

    def table(self, title: str) -> Table:
        table = Table(title=title)
        for column in ("step", "started (UTC)", "seconds", "detail"):
            table.add_column(column)
        for entry in self.steps:
            table.add_row(entry.name, entry.started_at[11:23], f"{entry.seconds:.2f}", entry.detail)
        return table


class Drill:
    def __init__(self, app: AppContext, out_dir: Path, fail_after: int, interval_ms: int) -> None:
        self.app = app
        self.out_dir = out_dir
        self.fail_after = fail_after
        self.interval_ms = interval_ms
        # The drill's own alert state (and its lock file), apart from the operator's monitor.
        self.scratch = Path(tempfile.mkdtemp(prefix="sfops-drill-"))
        self.monitor_state = self.scratch / f"monitor-{app.stack}.json"
        api = urlsplit(app.config.netlify.api_url)
        if api.hostname not in LOOPBACK_HOSTS:
            raise SfopsError(
                f"the drill breaks the site on purpose: it runs only against the local emulator, not {api.hostname}"
            )
        self.control = f"{api.scheme}://{api.netloc}/_emulator/site-overrides"
        # The stack's config file as found, byte for byte (comments, order, quoting): `pulumi config
        # set/rm` rewrite it, and a checkout left dirty fails the next preflight's git-clean.
        self.config_file = app.project_dir / f"Pulumi.{app.stack}.yaml"
        self.config_bytes = self.config_file.read_bytes() if self.config_file.exists() else None

    def flag_was_set(self) -> bool:
        """Whether the config file named the flag (else its default applied): put back as found."""
        if self.config_bytes is None:
            return False
        try:
            document = yaml.safe_load(self.config_bytes) or {}
        except yaml.YAMLError:
            return True
        return f"soundfactory:{FLAG}" in (document.get("config") or {})

    def config_changed(self) -> bool:
        current = self.config_file.read_bytes() if self.config_file.exists() else None
        return current != self.config_bytes

    def restore_config_file(self) -> None:
        if self.config_bytes is not None and self.config_changed():
            self.config_file.write_bytes(self.config_bytes)

    # --- the operator's commands -----------------------------------------------------------

    def pulumi(self, *args: str) -> str:
        self.app.out.info("$ " + " ".join(["pulumi", *args]))
        done = run_pulumi(args, self.app.stack, self.app.project_dir)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise SfopsError(f"`pulumi {' '.join(args)}` failed:\n{tail}", Exit.FAILED)
        return done.stdout

    def sfops(self, *args: str) -> tuple[int, dict[str, Any]]:
        """Our own commands as separate runs, exactly as an operator types them."""
        self.app.out.info("$ " + " ".join(["sfops", "--stack", self.app.stack, *args]))
        env = {**os.environ, "SFOPS_PROJECT_DIR": str(self.app.project_dir)}
        command = [sys.executable, "-m", "scripts.sfops", "--stack", self.app.stack, "--json", "-q", *args]
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        try:
            return done.returncode, json.loads(done.stdout)
        except ValueError as exc:
            raise SfopsError(f"sfops {args[0]} printed no JSON (exit {done.returncode}): {done.stderr[-500:]}") from exc

    def monitor(self, cycles: int) -> list[str]:
        _, result = self.sfops(
            "monitor",
            f"--cycles={cycles}",
            f"--interval={self.interval_ms}",
            f"--fail-after={self.fail_after}",
            f"--state-file={self.monitor_state}",
        )
        return [str(alert) for alert in result.get("firing", [])]

    def up(self) -> None:
        self.pulumi("up", "--yes")

    # --- the staged incident ---------------------------------------------------------------

    def published_deploy(self) -> str:
        with self.app.netlify_client() as client:
            return str((client.get_site(self.app.config.netlify.site_id).get("published_deploy") or {}).get("id", ""))

    def release_bad_build(self) -> str:
        netlify = self.app.config.netlify
        with self.app.netlify_client() as client:
            deploy_id = str(client.start_build(netlify.site_id)["deploy_id"])
            try:
                wait_until_ready(client, deploy_id, STAGED_BUILD_TIMEOUT_S)
            except BuildFailed as exc:
                raise SfopsError(f"the staged release {deploy_id} did not become ready: {exc}") from exc
        httpx.put(self.control, json=FAULT, timeout=10).raise_for_status()
        return deploy_id

    def lift_fault(self) -> None:
        httpx.delete(self.control, timeout=10).raise_for_status()

    def webhook_status(self) -> int:
        url = f"{self.app.config.netlify.site_url}{FUNCTIONS}{BROKEN_FUNCTION}"
        return httpx.post(url, json={"type": "drill.unsigned"}, timeout=10).status_code

    # --- playbook 9 ------------------------------------------------------------------------

    def run(self, timeline: Timeline) -> Path:
        flag_set = self.flag_was_set()
        flag_before = self.app.raw_config.get(FLAG) or "true"
        pinned_before = self.app.raw_config.get("pinnedDeploy")
        if pinned_before:
            raise SfopsError(f"stack {self.app.stack} is already pinned to {pinned_before}: release it first")
        with timeline.step("stage") as step:
            known_good = self.published_deploy()
            bad = self.release_bad_build()
            step.detail = (
                f"known good {known_good}; bad release {bad}, {BROKEN_FUNCTION} answers {self.webhook_status()}"
            )
        with timeline.step("detect") as step:
            firing = self.monitor(self.fail_after)
            if ALERT not in firing:
                raise SfopsError(f"the monitor did not fire {ALERT} (firing: {firing})", Exit.FAILED)
            step.detail = f"sfops monitor: {ALERT} fired after {self.fail_after} failures"
        with timeline.step("snapshot") as step:
            bundle = write_bundle(self.app, self.out_dir, self.monitor_state)
            step.detail = f"{bundle.name}: {', '.join(sorted(p.name for p in bundle.iterdir()))}"
        with timeline.step("flip-flag") as step:
            self.pulumi("config", "set", FLAG, "false")
            self.up()
            step.detail = f"pulumi config set {FLAG} false && pulumi up"
        with timeline.step("rollback-pin") as step:
            self.pulumi("config", "set", "pinnedDeploy", known_good)
            self.up()
            published = self.published_deploy()
            if published != known_good:
                raise SfopsError(f"the pin did not publish {known_good} (published: {published})", Exit.FAILED)
            self.lift_fault()  # the known-good deploy does not carry the bad release's fault
            step.detail = f"pulumi config set pinnedDeploy {known_good} && pulumi up"
        with timeline.step("verify") as step:
            code, result = self.sfops("verify")
            failed = [c["check"] for c in result.get("checks", []) if c.get("result") == "fail"]
            if code != 0:
                raise SfopsError(f"sfops verify failed after the rollback: {failed or result}", Exit.FAILED)
            step.detail = f"sfops verify: {len(result.get('checks', []))} checks, none failed"
        with timeline.step("unpin") as step:
            self.pulumi("config", "rm", "pinnedDeploy")
            self.up()
            step.detail = f"pulumi config rm pinnedDeploy && pulumi up: serving {self.published_deploy()}"
        with timeline.step("resolve") as step:
            firing = self.monitor(2)
            if ALERT in firing:
                raise SfopsError(f"{ALERT} still firing after the unpin", Exit.FAILED)
            step.detail = f"sfops monitor: {ALERT} resolved"
        with timeline.step("restore-flag") as step:
            if flag_set:
                self.pulumi("config", "set", FLAG, flag_before)
                command = f"pulumi config set {FLAG} {flag_before}"
            else:  # it was never set: its default applied, so take the key out again
                self.pulumi("config", "rm", FLAG)
                command = f"pulumi config rm {FLAG}"
            self.up()
            rewritten = self.config_changed()
            self.restore_config_file()
            step.detail = f"{command} && pulumi up (the stack as the drill found it" + (
                f"; {self.config_file.name} put back byte for byte)" if rewritten else ")"
            )
        return bundle

    def put_back_after_failure(self) -> str | None:
        """After a failed drill: the config file as found and one `up` to match it; what went wrong, if anything."""
        if not self.config_changed():
            return None
        self.restore_config_file()
        try:
            self.up()
        except SfopsError as exc:
            return f"{self.config_file.name} is back as found, but the `pulumi up` to match it failed: {exc}"
        return None


@click.command("drill")
@click.option("--out-dir", type=click.Path(path_type=Path), default=Path(".incidents"), show_default=True,
              help="where the incident bundle goes")  # fmt: skip
@click.option("--fail-after", type=click.IntRange(1), default=5, show_default=True, help="monitor failures that fire")
@click.option("--interval", "interval_ms", type=click.IntRange(100), default=200, show_default=True, help="ms")
@click.pass_obj
def command(app: AppContext, out_dir: Path, fail_after: int, interval_ms: int) -> None:
    """Replay playbook 9 on the local stack end to end and print its timeline."""
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    drill = Drill(app, out_dir, fail_after, interval_ms)
    timeline = Timeline()
    bundle: Path | None = None
    error: SfopsError | None = None
    try:
        bundle = drill.run(timeline)
    except SfopsError as exc:
        error = exc
    finally:
        drill.lift_fault()  # never leave the staged breakage behind
        shutil.rmtree(drill.scratch, ignore_errors=True)
    if error is not None:
        problem = drill.put_back_after_failure()
        if problem is not None:
            app.out.error(problem)
    total = round(sum(s.seconds for s in timeline.steps), 2)
    data = {"stack": app.stack, "bundle": str(bundle) if bundle else None, "total_seconds": total,
            "steps": [asdict(s) for s in timeline.steps], "error": str(error) if error else None}  # fmt: skip
    if bundle is not None:
        (bundle / "timeline.json").write_text(json.dumps(data, indent=2) + "\n")

    def render(console: Console) -> None:
        console.print(timeline.table(f"drill timeline, stack {app.stack} (total {total:.2f} s)"))
        console.print(f"incident bundle: {bundle}" if bundle else f"drill failed: {error}")

    app.out.result(data, render)
    if error is not None:
        raise error
