"""Reads the host's env file: `KEY='value'` lines as `components.backups.cron_host` writes them.

Values are single-quoted for sh (`'` inside a value is written `'\\''`); blank lines and
`#` comments are skipped. The file holds credentials: nothing here prints a value.
"""

from __future__ import annotations

import shlex
import stat
from pathlib import Path


class EnvFileError(Exception):
    """The env file cannot be used; the message names the problem and the fix."""


def parse_env_text(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise EnvFileError(f"line {number} is not KEY='value' (fix: rewrite it, or run `pulumi up` to reinstall)")
        try:
            parts = shlex.split(rest, comments=False, posix=True)
        except ValueError as exc:
            raise EnvFileError(f"line {number} ({key}): unbalanced quotes ({exc})") from None
        values[key] = "".join(parts)
    return values


def read_env_file(path: Path) -> dict[str, str]:
    try:
        info = path.stat()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EnvFileError(f"{path} does not exist (fix: `pulumi up` installs it on the backup host)") from None
    except OSError as exc:
        raise EnvFileError(f"cannot read {path}: {exc.strerror}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode = info.st_mode & 0o777
        raise EnvFileError(f"{path} is readable by other users (mode {mode:04o}); fix: chmod 600 {path}")
    return parse_env_text(text)
