"""`sfops backup ENV_FILE`: the command the cron host runs (settings and secrets only from the env file).

Exit codes: 0 backup uploaded and its manifest written; 1 the backup failed (dump, upload,
signal; nothing is listed for it); 2 could not start (env file, settings, pg_dump/psql
missing or older than the server, database unreachable). Log: JSON lines on stderr.
"""

from __future__ import annotations

import signal
import sys
from enum import IntEnum
from pathlib import Path
from types import FrameType
from typing import NoReturn

import click
import structlog

from scripts.sfops.backup.env_file import EnvFileError, read_env_file
from scripts.sfops.backup.healthcheck import ping
from scripts.sfops.backup.log_setup import configure_json_logging, redactor
from scripts.sfops.backup.multipart import STOP_SIGNALS
from scripts.sfops.backup.pg_versions import VersionError
from scripts.sfops.backup.pipeline import BackupFailed, run_backup
from scripts.sfops.backup.settings import SettingsError, parse_settings


class BackupExit(IntEnum):
    OK = 0
    FAILED = 1
    CANNOT_START = 2


class Terminated(Exception):
    pass


def _on_signal(signum: int, _frame: FrameType | None) -> NoReturn:
    raise Terminated(f"stopped by signal {signal.Signals(signum).name}")


def backup_main(env_file: Path) -> BackupExit:
    configure_json_logging()
    log = structlog.get_logger()
    try:
        settings = parse_settings(read_env_file(env_file))
    except EnvFileError as exc:
        log.error("backup.cannot_start", error=str(exc), exit=int(BackupExit.CANNOT_START))
        return BackupExit.CANNOT_START
    except SettingsError as exc:
        log.error("backup.cannot_start", error=f"{env_file}: {exc}", problems=exc.problems, exit=2)
        return BackupExit.CANNOT_START
    structlog.configure(processors=[redactor(settings.secrets(), "<redacted>"), *structlog.get_config()["processors"]])
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_signal)
    ping(settings.healthcheck_url, "start")
    try:
        manifest = run_backup(settings)
    except VersionError as exc:
        log.error("backup.cannot_start", error=str(exc), exit=int(BackupExit.CANNOT_START))
        ping(settings.healthcheck_url, "failure", str(exc))
        return BackupExit.CANNOT_START
    except (BackupFailed, Terminated) as exc:
        log.error("backup.failed", error=str(exc), exit=int(BackupExit.FAILED))
        ping(settings.healthcheck_url, "failure", str(exc))
        return BackupExit.FAILED
    except Exception as exc:  # an unexpected failure still pings and exits 1 with a log line
        log.error("backup.failed", error=f"{type(exc).__name__}: {exc}", exit=int(BackupExit.FAILED))
        ping(settings.healthcheck_url, "failure", type(exc).__name__)
        return BackupExit.FAILED
    ping(settings.healthcheck_url, "success", manifest.key)
    return BackupExit.OK


@click.command("backup", epilog="Exit codes: 0 done; 1 the backup failed; 2 could not start (settings, tools).")
@click.argument("env_file", type=click.Path(dir_okay=False, path_type=Path))
def command(env_file: Path) -> None:
    """Dump the database, compress, encrypt and upload it, then write its manifest.

    Every setting and secret comes from ENV_FILE (KEY='value' lines, mode 0600), never
    from the command line. This is what the backup host's crontab line runs.
    """
    sys.exit(int(backup_main(env_file)))
