"""The Pulumi CLI built by set-up and the Python SDK are the same release."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_cli_and_sdk_pins_agree() -> None:
    go_mod = (REPO / "tools/pulumi/go.mod").read_text()
    cli = re.search(r"github\.com/pulumi/pulumi/pkg/v3 v(\d+\.\d+\.\d+)", go_mod)
    sdk_go = re.search(r"github\.com/pulumi/pulumi/sdk/v3 v(\d+\.\d+\.\d+)", go_mod)
    python_sdk = re.search(r'"pulumi==(\d+\.\d+\.\d+)"', (REPO / "pyproject.toml").read_text())
    assert cli is not None
    assert sdk_go is not None
    assert python_sdk is not None
    assert cli.group(1) == sdk_go.group(1) == python_sdk.group(1)
