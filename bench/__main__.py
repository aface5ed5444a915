"""`python -m bench [NAME ...]`: run benchmarks, print figures.

Without a name: the engine floor, the flag flip, sfops start-up, the API-call counts, the
monitor cycle and the secret rotation (`floor` and `cli` preview and read the local stack:
`make demo` first). `backup` (heavy: a 1 GB database, a few minutes) runs only when named.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

NAMES = ("floor", "flag-flip", "cli", "api-calls", "monitor", "secret-rotation", "backup")
DEFAULT_NAMES = ("floor", "flag-flip", "cli", "api-calls", "monitor", "secret-rotation")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    # No `choices=` here: Python 3.11's argparse checks a nargs="*" default against choices
    # (and refused `[]`); names are checked in `selected` instead.
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(NAMES)}")
    parser.add_argument("--rounds", type=int, default=3, help="runs per measured path (alternating)")
    parser.add_argument("--build-seconds", type=float, default=8.0, help="emulated Netlify build time")
    parser.add_argument("--variables", type=int, default=50, help="managed variables for the API-call count")
    parser.add_argument("--sizes-mb", default="100,1000", help="backup: database sizes to generate")
    parser.add_argument("--no-restore", action="store_true", help="backup: skip the restore comparison")
    return parser


def selected(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None = None
) -> tuple[argparse.Namespace, list[str]]:
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in NAMES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(NAMES)})")
    return args, list(args.names or DEFAULT_NAMES)


def runners(args: argparse.Namespace) -> dict[str, Callable[[], None]]:
    # Each benchmark's imports load only when it runs.
    def floor() -> None:
        from bench.floor import run_floor

        run_floor(rounds=max(args.rounds, 3))

    def flag_flip() -> None:
        from bench.flag_flip import run_flag_flip

        run_flag_flip(rounds=args.rounds, build_seconds=args.build_seconds)

    def cli() -> None:
        from bench.cli_start import run_cli_start

        run_cli_start(rounds=max(args.rounds, 5))

    def api_calls() -> None:
        from bench.api_calls import run_api_call_counts

        run_api_call_counts(variables=args.variables)

    def monitor() -> None:
        from bench.monitor_cycle import run_monitor_cycle

        run_monitor_cycle()

    def secret_rotation() -> None:
        from bench.secret_rotation import run_secret_rotation

        run_secret_rotation(rounds=args.rounds, build_seconds=args.build_seconds)

    def backup() -> None:
        from bench.backup_restore import run_backup_restore

        sizes = tuple(int(size) for size in args.sizes_mb.split(","))
        run_backup_restore(sizes_mb=sizes, restore=not args.no_restore)

    return {
        "floor": floor,
        "flag-flip": flag_flip,
        "cli": cli,
        "api-calls": api_calls,
        "monitor": monitor,
        "secret-rotation": secret_rotation,
        "backup": backup,
    }


def main() -> None:
    parser = build_parser()
    args, names = selected(parser)
    run = runners(args)
    for name in names:
        run[name]()


if __name__ == "__main__":
    main()
