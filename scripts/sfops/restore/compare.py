"""Table-by-table comparison of two databases' fingerprints (rows, sequences, grants, RLS policies)."""

from __future__ import annotations

from dataclasses import dataclass

from scripts.sfops.restore.database import GRANTS, POLICIES, SEQUENCE, Fingerprints


@dataclass(frozen=True)
class Row:
    relation: str
    source: str
    restored: str
    status: str  # "same" | "differs" | "missing" | "extra"


def _show(value: tuple[int, str] | None) -> str:
    if value is None:
        return "-"
    count, checksum = value
    kind, _, digest = checksum.partition(" ")
    if checksum == SEQUENCE:
        return f"last value {count}"
    if kind in (GRANTS, POLICIES):
        noun = "grants" if kind == GRANTS else "policies, RLS"
        return f"{count} {noun}, digest {digest[:10]}"
    return f"{count} rows, sum {checksum[-10:]}"


def compare(source: Fingerprints, restored: Fingerprints) -> list[Row]:
    rows = []
    for name in sorted(set(source) | set(restored)):
        left, right = source.get(name), restored.get(name)
        status = "same" if left == right else "missing" if right is None else "extra" if left is None else "differs"
        rows.append(Row(name, _show(left), _show(right), status))
    return rows
