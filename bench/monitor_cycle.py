"""Monitor cycle: 10 checks against endpoints answering in 200 ms, all probed at once.

Reports the cycle's wall time as a ratio to the slowest single probe run alone (the
floor for a concurrent cycle; aim <= 1.3) and the CPU time one cycle costs. A single
run and a cycle pay the same fixed cost (event loop, one client), so medians are
compared: the slowest probe's median alone against the cycle's median.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx

from bench.common import bench_emulator
from scripts.sfops.monitoring.probes import HttpProbe, Probe, run_probes

CHECKS = 10
LATENCY_MS = 200


def run_monitor_cycle(rounds: int = 5) -> None:
    with bench_emulator(build_seconds=0.0) as (emulator, _root):
        emulator.build_by_hand()
        time.sleep(0.5)
        httpx.put(
            f"{emulator.base}/_emulator/site-overrides", json={"homepage_delay_ms": LATENCY_MS}
        ).raise_for_status()
        probes: list[Probe] = [HttpProbe(f"check-{i}", f"{emulator.site_url}/", slow_ms=10_000) for i in range(CHECKS)]
        singles: dict[str, list[float]] = {probe.name: [] for probe in probes[:3]}
        cycles, cpu = [], []
        for _ in range(rounds):
            for probe in probes[:3]:
                started = time.perf_counter()
                asyncio.run(run_probes([probe], 10))
                singles[probe.name].append(time.perf_counter() - started)
            started, cpu_started = time.perf_counter(), time.process_time()
            results = asyncio.run(run_probes(probes, 10))
            cycles.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            assert all(r.status == "degraded" or r.status == "up" for r in results), results
        slowest = max(statistics.median(times) for times in singles.values())
        cycle = statistics.median(cycles)
        print(f"monitor cycle ({CHECKS} checks, {LATENCY_MS} ms each, {rounds} rounds):")
        print(f"  slowest single probe (median) {slowest * 1000:.0f} ms; cycle median {cycle * 1000:.0f} ms")
        print(f"  ratio cycle/slowest probe = {cycle / slowest:.2f}x (target <= 1.3x)")
        print(f"  CPU per cycle median {statistics.median(cpu) * 1000:.1f} ms")


if __name__ == "__main__":
    run_monitor_cycle()
