"""`sfops preflight`: the pre-deploy checklist of playbook §1 and §6.

Git tree clean (unless --allow-dirty); the stack config valid by the program's own
validation (which also names the Twilio settings a custom-SMS stack lacks); the Stripe
key's mode fits the stack (live only on prod, test everywhere else); SQL patches in
order, unedited, and not destructive without the allow marker. Exit 0/1/2.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import click
import psycopg
from rich.console import Console

from components.stack_config import ConfigError
from scripts.sfops import sql_patches
from scripts.sfops.context import AppContext, Exit
from scripts.sfops.database_errors import describe_connect_error
from scripts.sfops.output import checks_table

PRODUCTION_STACK = "prod"
Row = tuple[str, str, str]


def git_clean(project_dir: Path) -> Row:
    process = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project_dir, capture_output=True, text=True, check=False
    )
    if process.returncode != 0:
        return ("git-clean", "fail", f"git status failed: {process.stderr.strip()}")
    changed = process.stdout.splitlines()
    if changed:
        shown = ", ".join(line[3:] for line in changed[:5]) + (" ..." if len(changed) > 5 else "")
        return ("git-clean", "fail", f"{len(changed)} uncommitted change(s): {shown} (or --allow-dirty)")
    return ("git-clean", "pass", "no local changes")


def config_rows(app: AppContext) -> list[Row]:
    try:
        config = app.load_config()
    except ConfigError as exc:
        return [("stack-config", "fail", problem) for problem in exc.problems]
    rows: list[Row] = [("stack-config", "pass", f"stack {app.stack} is valid")]
    sms = "Supabase OTP" if config.flags["USE_SUPABASE_PHONE_OTP"] else "custom Twilio SMS (Twilio settings present)"
    rows.append(("sms-path-secrets", "pass", sms))
    mode = re.match(r"^(?:sk|rk)_(live|test)_", config.app.stripe_secret_key)
    live = mode is not None and mode.group(1) == "live"
    if app.stack == PRODUCTION_STACK and not live:
        rows.append(
            ("stripe-key-mode", "fail", "stack prod uses a test-mode Stripe key; set the live key (sk_live_...)")
        )
    elif app.stack != PRODUCTION_STACK and live:
        rows.append(
            ("stripe-key-mode", "fail", f"stack {app.stack} uses a LIVE Stripe key; only prod may (use sk_test_...)")
        )
    else:
        rows.append(("stripe-key-mode", "pass", f"{'live' if live else 'test'} key on stack {app.stack}"))
    return rows


def patch_rows(folder: Path) -> list[Row]:
    if not folder.is_dir():
        return [("sql-patches", "skip", f"no patches folder {folder}")]
    patches = sql_patches.load_patches(folder)
    url = os.environ.get(sql_patches.DATABASE_URL_ENV)
    applied: dict[str, str] | None = None
    rows: list[Row] = []
    if url:
        try:
            with psycopg.connect(url, connect_timeout=10) as conn:
                applied = sql_patches.applied_checksums(conn)
        except psycopg.Error as exc:
            return [("sql-patches", "fail", f"cannot read applied patches: {describe_connect_error(exc, url)}")]
    else:
        rows.append(("sql-patches-db", "skip", f"${sql_patches.DATABASE_URL_ENV} not set: checksums not compared"))
    pending, problems = sql_patches.check_patches(patches, applied)
    rows += [(f"sql-patch:{p.patch}", "fail", p.problem) for p in problems]
    if not problems:
        rows.append(("sql-patches", "pass", f"{len(patches)} patch(es), {len(pending)} pending"))
    return rows


@click.command("preflight")
@click.option("--allow-dirty", is_flag=True, help="do not require a clean git tree")
@click.option("--patches-dir", type=click.Path(path_type=Path), default=None, help="default: sql/patches")
@click.pass_obj
def command(app: AppContext, allow_dirty: bool, patches_dir: Path | None) -> None:
    """Check before a deploy: git clean, stack config, Stripe key mode, SQL patches."""
    rows: list[Row] = [] if allow_dirty else [git_clean(app.project_dir)]
    rows += config_rows(app)
    rows += patch_rows(patches_dir or app.project_dir / "sql" / "patches")
    ok = not any(status == "fail" for _, status, _ in rows)

    def render(console: Console) -> None:
        console.print(checks_table(f"preflight for stack {app.stack}", rows))
        console.print("preflight: ready to deploy" if ok else "preflight: NOT ready, fix the failures above")

    data = {"stack": app.stack, "ok": ok, "checks": [{"name": n, "status": s, "detail": d} for n, s, d in rows]}
    app.out.result(data, render)
    click.get_current_context().exit(int(Exit.OK if ok else Exit.FAILED))
