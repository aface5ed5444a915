"""`python -m local_services.netlify`: run the emulator until SIGTERM/SIGINT.

The API token comes from $NETLIFY_EMULATOR_TOKEN only (never argv, where `ps` shows it).
"""

from __future__ import annotations

import argparse
import sys

from local_services.common.process import port_arg, serve_until_signalled
from local_services.common.spec_validation import ValidationMode
from local_services.netlify.deploys import DEFAULT_BUILD_SECONDS
from local_services.netlify.server import TOKEN_ENV, start_emulator
from local_services.netlify.state import StateError


def _seconds(text: str) -> float:
    seconds = float(text)
    if not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600")
    return seconds


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local_services.netlify",
        description=f"Local Netlify emulator on 127.0.0.1. API token: ${TOKEN_ENV} (default local-dev-token).",
    )
    parser.add_argument("--api-port", type=port_arg, required=True, help="port of /api/v1 and /_emulator")
    parser.add_argument("--site-port", type=port_arg, required=True, help="port of the served site")
    parser.add_argument("--data-dir", required=True, help="where the state file lives (created if missing)")
    parser.add_argument("--site-id", required=True)
    parser.add_argument("--account-id", required=True, help="the account slug env var calls use")
    parser.add_argument("--site-name", default=None)
    parser.add_argument("--build-seconds", type=_seconds, default=DEFAULT_BUILD_SECONDS)
    parser.add_argument("--log-requests", action="store_true", help="log each request line to stderr")
    parser.add_argument(
        "--validation",
        choices=[str(mode) for mode in ValidationMode],
        default=str(ValidationMode.STRICT),
        help="a request Netlify's spec does not allow is refused (strict, the default), logged (warn) or served (off)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        emulator = start_emulator(
            args.data_dir,
            args.site_id,
            args.account_id,
            api_port=args.api_port,
            site_port=args.site_port,
            site_name=args.site_name,
            build_seconds=args.build_seconds,
            log_requests=args.log_requests,
            validation=args.validation,
        )
    except (OSError, StateError, ValueError) as exc:
        print(f"netlify emulator: cannot start: {exc}", file=sys.stderr)
        return 1
    return serve_until_signalled(emulator, f"READY api=http://127.0.0.1:{emulator.api_port} site={emulator.site_url}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
