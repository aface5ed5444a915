"""A stateful local Netlify: env vars, builds, deploys, rollback, and the served site.

    with start_emulator(tmp_path, "site-id", "account-slug") as emulator:
        httpx.get(f"{emulator.api_url}/sites/site-id", headers={"Authorization": "Bearer local-dev-token"})

Or as a process: `python -m local_services.netlify --help`.
"""

from local_services.netlify.server import DEFAULT_TOKEN, TOKEN_ENV, RunningEmulator, start_emulator

__all__ = ["DEFAULT_TOKEN", "TOKEN_ENV", "RunningEmulator", "start_emulator"]
