"""Flag flip: `pulumi up` against the direct API path an operator would take by hand.

Both run on the same emulator with the same build time, alternating, so machine
noise hits both. The direct path is: replace a variable's values, start a build,
wait until the deploy is ready. It flips a variable the stack does not manage, so
neither path undoes the other's change (which would turn a flip into a no-op).

What is timed (the target, issue 20: overhead <= the trivial program's preview + 0.5 s):
- the Pulumi path is the README's incident commands through the real CLI,
  `pulumi config set USE_SUPABASE_PHONE_OTP v` then `pulumi up --yes --skip-preview` (the
  engine's work of the `up` an operator confirms, without the preview shown before the
  question). Printed beside it: the README's one-command form (`pulumi up --config
  USE_SUPABASE_PHONE_OTP=v`, one CLI start fewer) and the flip with the preview pass (`pulumi up --yes`).
- the direct path waits for the build the way netlify-cli does and the stack does
  (`components.netlify.build.poll_intervals`: 0.5 s, 0.75 s, then every second; netlify-cli's
  DEPLOY_POLL is 1000 ms): a faster poll on one side only would time the poll rate, not Pulumi.
"""

from __future__ import annotations

import statistics
import time

import httpx

from bench.common import bench_stack, timed_up
from bench.floor import Timing, preview_trivial, trivial_stack
from components.netlify.build import poll_intervals
from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import TOKEN
from local_services.stack_harness import StackHarness

CONTEXTS = ("production", "deploy-preview", "branch-deploy", "dev")
DIRECT_KEY = "BENCH_DIRECT_FLAG"


def direct_flip(emulator: EmulatorControl, value: str) -> float:
    started = time.perf_counter()
    with httpx.Client(base_url=emulator.api_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as api:
        body = {
            "key": DIRECT_KEY,
            "scopes": ["builds", "functions", "runtime"],
            "values": [{"context": c, "value": value} for c in CONTEXTS],
        }
        params = {"site_id": emulator.site_id}
        if api.put(f"/accounts/{emulator.account_id}/env/{DIRECT_KEY}", params=params, json=body).status_code == 404:
            api.post(f"/accounts/{emulator.account_id}/env", params=params, json=[body]).raise_for_status()
        deploy_id = api.post(f"/sites/{emulator.site_id}/builds").raise_for_status().json()["deploy_id"]
        intervals = poll_intervals()
        while api.get(f"/deploys/{deploy_id}").json()["state"] != "ready":
            time.sleep(next(intervals))
    return time.perf_counter() - started


class PulumiFlips:
    """Flips the stack's flag through the CLI, each time to the other value: none is a no-op."""

    def __init__(self, stack: StackHarness) -> None:
        self.stack = stack
        self.value = "false"  # the sample stack's

    def flip(self, *, preview: bool = False, one_command: bool = False) -> float:
        self.value = "true" if self.value == "false" else "false"
        return timed_up(self.stack, {"USE_SUPABASE_PHONE_OTP": self.value}, preview=preview, one_command=one_command)


def _runs(times: list[float]) -> str:
    return f"median {statistics.median(times):6.2f}s  {[round(t, 2) for t in times]}"


def run_flag_flip(rounds: int, build_seconds: float) -> None:
    with bench_stack(build_seconds) as (stack, emulator, _stripe), trivial_stack() as floor:
        flips = PulumiFlips(stack)
        pulumi_times: list[float] = []
        one_command_times: list[float] = []
        previewed_times: list[float] = []
        direct_times: list[float] = []
        trivial = Timing()
        preview_trivial(floor, Timing())  # warm-up, not counted
        deploys = len(emulator.deploys())
        for _ in range(rounds):
            pulumi_times.append(flips.flip())
            direct_times.append(direct_flip(emulator, "true" if len(direct_times) % 2 == 0 else "false"))
            preview_trivial(floor, trivial)
            one_command_times.append(flips.flip(one_command=True))
            previewed_times.append(flips.flip(preview=True))
        # Each flip on either path must have made exactly one deploy, or the timing compares nothing.
        assert len(emulator.deploys()) == deploys + 4 * rounds, "a flip did not build exactly once"
        p, d = statistics.median(pulumi_times), statistics.median(direct_times)
        one = statistics.median(one_command_times)
        overhead = p - d
        print(f"flag flip (build {build_seconds:.1f}s, {rounds} rounds each, alternating):")
        print(f"  pulumi config set + up --skip-preview  {_runs(pulumi_times)}")
        print(f"  pulumi up --config (one command)       {_runs(one_command_times)}")
        print(f"  pulumi config set + up (with preview)  {_runs(previewed_times)}")
        print(f"  direct API                             {_runs(direct_times)}")
        print(f"  trivial program preview (the engine floor) median {trivial.median:5.2f}s")
        print(
            f"  ratio pulumi/direct = {p / d:.2f}x; overhead {overhead:.2f}s = floor + {overhead - trivial.median:.2f}s"
            f" (with the preview pass: {statistics.median(previewed_times) - d:.2f}s)"
        )
        print(f"  one command (pulumi up --config): overhead {one - d:.2f}s = floor + {one - d - trivial.median:.2f}s")
        print(f"  (target: overhead <= floor + 0.5 s = {trivial.median + 0.5:.2f}s)")
