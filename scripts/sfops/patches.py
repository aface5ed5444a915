"""`sfops patches status|apply`: the SQL patches of playbook §6 against $SFOPS_DATABASE_URL.

`apply` refuses to start while any patch has a problem (edited after being applied,
destructive without the marker, transaction control without `no-transaction`, not UTF-8,
not valid SQL), then applies the pending ones in order, each all or nothing; a second run
applies nothing. A database error names the patch, the statement, its line and the
server's message (exit 1); a database that cannot be reached says why (exit 2).
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import psycopg
from rich.console import Console

from scripts.sfops import sql_patches
from scripts.sfops.context import AppContext, Exit, SfopsError
from scripts.sfops.database_errors import describe_connect_error, describe_server_error
from scripts.sfops.output import checks_table


def database_url() -> str:
    url = os.environ.get(sql_patches.DATABASE_URL_ENV)
    if not url:
        raise SfopsError(f"set ${sql_patches.DATABASE_URL_ENV} (a postgresql:// URL; never on the command line)")
    return url


def connect(url: str) -> psycopg.Connection[tuple[str, str]]:
    try:
        return psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.Error as exc:
        raise SfopsError(
            f"cannot connect to the database in ${sql_patches.DATABASE_URL_ENV}: {describe_connect_error(exc, url)}"
        ) from None


@click.group("patches")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=None, help="default: sql/patches")
@click.pass_context
def command(ctx: click.Context, folder: Path | None) -> None:
    """SQL patches: list what is pending, or apply it."""
    app: AppContext = ctx.obj
    ctx.meta["patches_dir"] = folder or app.project_dir / "sql" / "patches"


def _check(
    folder: Path, url: str
) -> tuple[psycopg.Connection[tuple[str, str]], list[sql_patches.Patch], list[sql_patches.PatchProblem]]:
    if not folder.is_dir():
        # Without this every applied patch would read as "missing from the patches folder".
        raise SfopsError(f"no patches folder {folder} (fix: --dir PATH to the folder of NNNN_name.sql files)")
    conn = connect(url)
    try:
        applied = sql_patches.applied_checksums(conn)
    except psycopg.Error as exc:
        conn.close()
        raise SfopsError(f"cannot read {sql_patches.TABLE}: {describe_server_error(exc, '', 1)}") from None
    pending, problems = sql_patches.check_patches(sql_patches.load_patches(folder), applied)
    return conn, pending, problems


@command.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """List pending patches and problems: which statement and why (exit 1 on a problem)."""
    app: AppContext = ctx.obj
    conn, pending, problems = _check(ctx.meta["patches_dir"], database_url())
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
    """Apply pending patches in order, each all or nothing."""
    app: AppContext = ctx.obj
    url = database_url()
    conn, pending, problems = _check(ctx.meta["patches_dir"], url)
    with conn:
        if problems:
            for problem in problems:
                app.out.error(f"{problem.patch}: {problem.problem}")
            app.out.result({"applied": [], "problems": len(problems)}, lambda c: c.print("nothing applied"))
            ctx.exit(int(Exit.FAILED))
        try:
            applied, failed = sql_patches.apply_pending(url, conn, pending)
        except psycopg.OperationalError as exc:
            raise SfopsError(f"lost the database: {describe_connect_error(exc, url)}") from None
        except psycopg.Error as exc:
            raise SfopsError(f"the database refused the run: {describe_server_error(exc, '', 1)}") from None

    if failed is not None:
        app.out.error(str(failed))

    def render(console: Console) -> None:
        if applied:
            console.print(f"applied: {', '.join(applied)}")
        elif failed is None:
            console.print("nothing to apply: the database is up to date")
        if failed is not None:
            console.print(f"FAILED: {failed.patch} (see the error above)")

    data = {"applied": applied, "failed": None if failed is None else {"patch": failed.patch, "error": str(failed)}}
    app.out.result(data, render)
    ctx.exit(int(Exit.FAILED if failed else Exit.OK))
