"""Flag flip: `pulumi up` against the direct API path an operator would take by hand.

Both run on the same emulator with the same build time, alternating, so machine
noise hits both. The direct path is: replace a variable's values, start a build,
poll until the deploy is ready. It flips a variable the stack does not manage, so
neither path undoes the other's change (which would turn a flip into a no-op).
"""

from __future__ import annotations

import statistics
import time

import httpx

from bench.common import bench_stack, timed_up
from bench.floor import Timing, preview_trivial, trivial_stack
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
        while api.get(f"/deploys/{deploy_id}").json()["state"] != "ready":
            time.sleep(0.5)
    return time.perf_counter() - started


def pulumi_flip(stack: StackHarness, value: str) -> float:
    return timed_up(stack, {"USE_SUPABASE_PHONE_OTP": value})


def run_flag_flip(rounds: int, build_seconds: float) -> None:
    with bench_stack(build_seconds) as (stack, emulator, _stripe), trivial_stack() as floor:
        pulumi_times: list[float] = []
        direct_times: list[float] = []
        trivial = Timing()
        preview_trivial(floor, Timing())  # warm-up, not counted
        deploys = len(emulator.deploys())
        for round_ in range(rounds):
            value = "true" if round_ % 2 == 0 else "false"
            pulumi_times.append(pulumi_flip(stack, value))
            direct_times.append(direct_flip(emulator, value))
            preview_trivial(floor, trivial)
        # Each flip on either path must have made exactly one deploy, or the timing compares nothing.
        assert len(emulator.deploys()) == deploys + 2 * rounds, "a flip did not build exactly once"
        p, d = statistics.median(pulumi_times), statistics.median(direct_times)
        overhead = p - d
        print(f"flag flip (build {build_seconds:.1f}s, {rounds} rounds each, alternating):")
        print(f"  pulumi up  median {p:6.2f}s  {[round(t, 2) for t in pulumi_times]}")
        print(f"  direct API median {d:6.2f}s  {[round(t, 2) for t in direct_times]}")
        print(f"  trivial program preview (the engine floor) median {trivial.median:5.2f}s")
        print(
            f"  ratio pulumi/direct = {p / d:.2f}x; overhead {overhead:.2f}s = floor + {overhead - trivial.median:.2f}s"
        )
        print(f"  (target: overhead <= floor + 0.5 s = {trivial.median + 0.5:.2f}s)")
