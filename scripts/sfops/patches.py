"""`sfops patches status|apply`: the SQL patches of playbook §6 against $SFOPS_DATABASE_URL.

`apply` refuses to start while any patch has a problem (edited after being applied,
destructive without the marker), then applies the pending ones in order, one
transaction each; a second run applies nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import psycopg
from rich.console import Console

from scripts.sfops import sql_patches
from scripts.sfops.context import AppContext, Exit, SfopsError
from scripts.sfops.output import checks_table


def _connect() -> psycopg.Connection[tuple[str, str]]:
    url = os.environ.get(sql_patches.DATABASE_URL_ENV)
    if not url:
        raise SfopsError(f"set ${sql_patches.DATABASE_URL_ENV} (a postgresql:// URL; never on the command line)")
    try:
        return psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.Error as exc:
        raise SfopsError(f"cannot connect to the database: {type(exc).__name__}") from exc


@click.group("patches")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=None, help="default: sql/patches")
@click.pass_context
def command(ctx: click.Context, folder: Path | None) -> None:
    """SQL patches: list what is pending, or apply it."""
    app: AppContext = ctx.obj
    ctx.meta["patches_dir"] = folder or app.project_dir / "sql" / "patches"


def _check(
    folder: Path,
) -> tuple[psycopg.Connection[tuple[str, str]], list[sql_patches.Patch], list[sql_patches.PatchProblem]]:
    conn = _connect()
    pending, problems = sql_patches.check_patches(sql_patches.load_patches(folder), sql_patches.applied_checksums(conn))
    return conn, pending, problems


@command.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """List pending patches and problems (exit 1 on a problem)."""
    app: AppContext = ctx.obj
    conn, pending, problems = _check(ctx.meta["patches_dir"])
    conn.close()
    rows = [(p.name, "pending", "") for p in pending] + [(p.patch, "fail", p.problem) for p in problems]
    data = {
        "pending": [p.name for p in pending],
        "problems": [{"patch": p.patch, "problem": p.problem} for p in problems],
    }
    app.out.result(
        data, lambda console: console.print(checks_table("sql patches", rows or [("-", "ok", "up to date")]))
    )
    ctx.exit(int(Exit.FAILED if problems else Exit.OK))


@command.command("apply")
@click.pass_context
def apply(ctx: click.Context) -> None:
    """Apply pending patches in order, one transaction each."""
    app: AppContext = ctx.obj
    conn, pending, problems = _check(ctx.meta["patches_dir"])
    with conn:
        if problems:
            for problem in problems:
                app.out.error(f"{problem.patch}: {problem.problem}")
            app.out.result({"applied": [], "problems": len(problems)}, lambda c: c.print("nothing applied"))
            ctx.exit(int(Exit.FAILED))
        applied = sql_patches.apply_pending(conn, pending)

    def render(console: Console) -> None:
        console.print(f"applied: {', '.join(applied)}" if applied else "nothing to apply: the database is up to date")

    app.out.result({"applied": applied}, render)
