"""`python -m bench` parses its default arguments (argparse once refused them: `invalid choice: []`)."""

from __future__ import annotations

import pytest

from bench.__main__ import DEFAULT_NAMES, NAMES, build_parser, runners, selected


def test_no_arguments_select_every_default_benchmark() -> None:
    args, names = selected(build_parser(), [])
    assert names == list(DEFAULT_NAMES)
    assert "backup" not in names
    assert args.rounds >= 1
    assert set(runners(args)) == set(NAMES)


def test_named_benchmarks_only() -> None:
    _, names = selected(build_parser(), ["floor", "cli"])
    assert names == ["floor", "cli"]


def test_unknown_name_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        selected(build_parser(), ["flor"])
    assert exit_info.value.code == 2
    assert "unknown benchmark flor" in capsys.readouterr().err
