"""What the backup host runs: `sfops backup` as one zip file (a Python zipapp) and a sh wrapper.

The bundle holds only `scripts/sfops/backup` (it imports nothing else of the repo), so the
host gets the backup code and nothing of the operator tools. Its bytes are deterministic
(fixed timestamps, sorted names): the same code gives the same SHA-256, so `pulumi
preview` shows a change only when the code changed. The host's Python needs the packages
of the `backup-host` dependency group (pyproject.toml) and PostgreSQL's client programs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import zipfile
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "scripts" / "sfops" / "backup"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ENTRY = 'import runpy\n\nrunpy.run_module("scripts.sfops.backup", run_name="__main__", alter_sys=True)\n'


def host_module(name: str) -> ModuleType:
    """A module of the bundle (stdlib-only ones), loaded from its file: the preview applies the host's own rule.

    By path, not `import scripts...`: the Pulumi program runs where only `components` is importable."""
    qualified = f"sfops_backup_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, PACKAGE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def bundle_bytes() -> bytes:
    files = {
        "__main__.py": ENTRY.encode(),
        "scripts/__init__.py": b"",
        "scripts/sfops/__init__.py": b"",
    }
    for source in sorted(PACKAGE.glob("*.py")):
        files[f"scripts/sfops/backup/{source.name}"] = source.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def bundle_sha256() -> str:
    return hashlib.sha256(bundle_bytes()).hexdigest()


def command_script(python: str, runtime_name: str) -> str:
    """bin/soundfactory-backup ENV_FILE: runs `sfops backup ENV_FILE` from the bundle beside it."""
    return f"""#!/bin/sh
# soundfactory-backup ENV_FILE (installed by soundfactory-infra): `sfops backup ENV_FILE`.
# Settings and secrets come from ENV_FILE only. Exit codes: 0 done, 1 failed, 2 could not start.
here=$(dirname "$0")
exec '{python}' "$here/../{runtime_name}" backup "$@"
"""
