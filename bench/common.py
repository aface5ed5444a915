"""Shared set-up for benchmarks: emulators and a stack on throwaway directories."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_services.emulator_control import EmulatorControl
from local_services.netlify import start_emulator
from local_services.sample_stack import ACCOUNT_ID, PLAIN, SECRETS, SITE_ID, TOKEN
from local_services.stack_harness import StackHarness, tools_dir
from local_services.stripe import start_emulator as start_stripe
from local_services.stripe_control import StripeControl


@contextmanager
def bench_emulator(build_seconds: float) -> Iterator[tuple[EmulatorControl, Path]]:
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        root = Path(tmp)
        with start_emulator(
            root / "netlify", site_id=SITE_ID, account_id=ACCOUNT_ID, build_seconds=build_seconds, token=TOKEN
        ) as running:
            yield EmulatorControl(running.api_url, running.site_url, SITE_ID, ACCOUNT_ID, TOKEN), root


@contextmanager
def bench_stripe(root: Path) -> Iterator[StripeControl]:
    """A Stripe emulator that accepts the sample stack's key."""
    with start_stripe(root / "stripe", keys=[SECRETS["stripeSecretKey"]]) as running:
        yield StripeControl.attach(running, SECRETS["stripeSecretKey"])


@contextmanager
def bench_stack(build_seconds: float, **plain: str) -> Iterator[tuple[StackHarness, EmulatorControl, StripeControl]]:
    """The sample stack (with `plain` on top) wired to fresh emulators, after its first `up`."""
    with bench_emulator(build_seconds) as (emulator, root), bench_stripe(root) as stripe:
        stack = StackHarness(root / "pulumi", name="bench")
        wiring = {"netlifyApiUrl": emulator.api_url, "siteUrl": emulator.site_url, "stripeApiUrl": stripe.api_url}
        stack.set_config({**PLAIN, **wiring, **plain}, SECRETS)
        stack.stack.up(on_output=lambda _: None)
        yield stack, emulator, stripe


def timed_up(
    stack: StackHarness, changes: dict[str, str], *, preview: bool = False, one_command: bool = False
) -> float:
    """Seconds for `pulumi config set` of each change, then `pulumi up`: the real CLI, as an operator types them.

    `one_command=True` times the same change as one CLI run, `pulumi up --config KEY=value`
    (the CLI saves each value to the stack's settings file, as `config set` does, before the update).

    `pulumi up --yes --skip-preview` is the engine's work of the README's `pulumi up` without the
    interactive preview before it (the Automation API's `up` runs the same command, then three
    more to read back outputs and history: ~0.9 s an operator never waits for, so it is not used
    here). `preview=True` times `pulumi up --yes`: the preview pass, then the update, as the
    README's `pulumi up` answered at once.
    """
    pulumi = str(tools_dir() / "bin" / "pulumi")
    env = {**os.environ, **stack.env}
    up = [pulumi, "up", "--yes", *(() if preview else ("--skip-preview",))]
    if one_command:
        commands = [[*up, *(f"--config={key}={value}" for key, value in changes.items())]]
    else:
        commands = [[pulumi, "config", "set", key, value] for key, value in changes.items()]
        commands.append(up)
    started = time.perf_counter()
    for argv in commands:
        done = subprocess.run(
            [*argv, "--stack", stack.stack.name, "--non-interactive"],
            cwd=stack.project_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            raise SystemExit(f"{' '.join(argv[1:])} failed (exit {done.returncode}):\n{tail}")
    return time.perf_counter() - started
