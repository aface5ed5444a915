"""`python -m bench`: run every benchmark and print its figures."""

from __future__ import annotations

import argparse

from bench.api_calls import run_api_call_counts
from bench.flag_flip import run_flag_flip
from bench.monitor_cycle import run_monitor_cycle
from bench.secret_rotation import run_secret_rotation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="flag flips per path (alternating)")
    parser.add_argument("--build-seconds", type=float, default=8.0, help="emulated Netlify build time")
    parser.add_argument("--variables", type=int, default=50, help="managed variables for the API-call count")
    args = parser.parse_args()
    run_flag_flip(rounds=args.rounds, build_seconds=args.build_seconds)
    run_api_call_counts(variables=args.variables)
    run_monitor_cycle()
    run_secret_rotation(rounds=args.rounds, build_seconds=args.build_seconds)


if __name__ == "__main__":
    main()
