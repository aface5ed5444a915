"""`python -m bench [flag-flip|api-calls|monitor|secret-rotation|backup]`: run benchmarks, print figures.

Without a name: the flag flip, the API-call counts, the monitor cycle and the secret rotation. `backup` (heavy:
a 1 GB database, a few minutes) runs only when named.
"""

from __future__ import annotations

import argparse

from bench.api_calls import run_api_call_counts
from bench.backup_restore import run_backup_restore
from bench.flag_flip import run_flag_flip
from bench.monitor_cycle import run_monitor_cycle
from bench.secret_rotation import run_secret_rotation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    names = ["flag-flip", "api-calls", "monitor", "secret-rotation", "backup"]
    parser.add_argument("names", nargs="*", choices=names, default=[])
    parser.add_argument("--rounds", type=int, default=2, help="flag flips per path (alternating)")
    parser.add_argument("--build-seconds", type=float, default=8.0, help="emulated Netlify build time")
    parser.add_argument("--variables", type=int, default=50, help="managed variables for the API-call count")
    parser.add_argument("--sizes-mb", default="100,1000", help="backup: database sizes to generate")
    parser.add_argument("--no-restore", action="store_true", help="backup: skip the restore comparison")
    args = parser.parse_args()
    names = args.names or ["flag-flip", "api-calls", "monitor", "secret-rotation"]
    if "flag-flip" in names:
        run_flag_flip(rounds=args.rounds, build_seconds=args.build_seconds)
    if "api-calls" in names:
        run_api_call_counts(variables=args.variables)
    if "monitor" in names:
        run_monitor_cycle()
    if "secret-rotation" in names:
        run_secret_rotation(rounds=args.rounds, build_seconds=args.build_seconds)
    if "backup" in names:
        sizes = tuple(int(size) for size in args.sizes_mb.split(","))
        run_backup_restore(sizes_mb=sizes, restore=not args.no_restore)


if __name__ == "__main__":
    main()
