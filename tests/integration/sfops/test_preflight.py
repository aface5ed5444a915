"""`sfops preflight` and `sfops patches` against a real PostgreSQL and the stack config model."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from local_services.postgres import PostgresCluster
from scripts.sfops import patches, preflight
from tests.integration.sfops.conftest import Site, raw_config

pytestmark = pytest.mark.integration


@pytest.fixture
def database(postgres: PostgresCluster, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    name = f"t_{abs(hash(request.node.name)) % 10**8}"
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv("SFOPS_DATABASE_URL", postgres.url(name))
    return postgres.url(name)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "patches"
    path.mkdir()
    (path / "0001_events.sql").write_text("CREATE TABLE events (id serial PRIMARY KEY, name text NOT NULL);\n")
    (path / "0002_index.sql").write_text("CREATE INDEX events_name ON events (name);\n")
    return path


def preflight_report(site: Site, folder: Path, **config: str) -> dict[str, str]:
    args = ("--allow-dirty", "--patches-dir", str(folder))
    result = site.run(preflight.command, *args, config=raw_config(site.emulator, **config) if config else None)

    report = json.loads(result.stdout)
    return {check["name"] + ":" + check["status"]: check["detail"] for check in report["checks"]}


def test_apply_is_a_no_op_the_second_time(site: Site, folder: Path, database: str) -> None:
    first = site.run(patches.command, "--dir", str(folder), "apply")
    assert first.exit_code == 0, first.output
    assert '"applied": [\n    "0001_events.sql",\n    "0002_index.sql"\n  ]' in first.stdout
    second = site.run(patches.command, "--dir", str(folder), "apply")
    assert '"applied": []' in second.stdout
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM sfops_schema_patches").fetchone() == (2,)


def test_edited_applied_patch_is_reported(site: Site, folder: Path, database: str) -> None:
    assert site.run(patches.command, "--dir", str(folder), "apply").exit_code == 0
    (folder / "0001_events.sql").write_text("CREATE TABLE events (id bigserial PRIMARY KEY, name text);\n")
    report = preflight_report(site, folder)
    assert "checksum differs" in report["sql-patch:0001_events.sql:fail"]
    refused = site.run(patches.command, "--dir", str(folder), "apply")
    assert refused.exit_code == 1


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("DROP TABLE events;", "DROP TABLE"),
        ("ALTER TABLE events DROP COLUMN name;", "DROP COLUMN"),
        ("ALTER TABLE events ALTER COLUMN name TYPE varchar(10);", "TYPE"),
        ("TRUNCATE events;", "TRUNCATE"),
        ("DELETE FROM events;", "DELETE FROM events without a WHERE"),
    ],
)
def test_destructive_new_patch_is_refused_without_the_marker(
    site: Site, folder: Path, database: str, sql: str, named: str
) -> None:
    (folder / "0003_cleanup.sql").write_text(sql + "\n")
    report = preflight_report(site, folder)
    assert named in report["sql-patch:0003_cleanup.sql:fail"]
    (folder / "0003_cleanup.sql").write_text("-- sfops:allow-destructive (reviewed)\n" + sql + "\n")
    assert "sql-patches:pass" in preflight_report(site, folder)


def test_keywords_in_strings_and_a_where_are_not_destructive(site: Site, folder: Path, database: str) -> None:
    (folder / "0003_safe.sql").write_text(
        "INSERT INTO events (name) VALUES ('DROP TABLE events; -- sfops:allow-destructive');\n"
        "DELETE FROM events WHERE name = 'x';\n"
    )
    assert "sql-patches:pass" in preflight_report(site, folder)


def test_missing_twilio_secret_with_custom_sms_is_reported(site: Site, folder: Path) -> None:
    report = preflight_report(site, folder, twilioAuthToken="")
    assert any("twilioAuthToken" in detail for key, detail in report.items() if key.startswith("stack-config:fail"))


def test_live_stripe_key_on_a_non_prod_stack_is_reported(site: Site, folder: Path) -> None:
    report = preflight_report(site, folder, stripeSecretKey="sk_live_0123456789abcdef")
    assert "LIVE Stripe key" in report["stripe-key-mode:fail"]


def test_healthy_preflight_passes(site: Site, folder: Path, database: str) -> None:
    result = site.run(preflight.command, "--allow-dirty", "--patches-dir", str(folder))
    assert result.exit_code == 0, result.stdout
