"""Materialise the real pipeline on the bundled sample, in a temporary warehouse."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.publishing.layout import work_database_of
from dagster_project import run as cli

pytestmark = pytest.mark.integration

#: What the dbt step sets for dbt's process (assets/transform.py).
RUN_VARIABLES = ("CDP_WORK_DATABASE", "CDP_IDENTITY_REGISTRY", "CDP_RUN_ID")


def _count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


def _run_variables() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in RUN_VARIABLES}


def _records_in_landing(landing: Path) -> dict[str, int]:
    """Data records per source as the files hold them, counted independently of DuckDB."""
    counts = {"crm_contacts": 0, "pos_transactions": 0, "web_events": 0}
    for folder, table in (("crm", "crm_contacts"), ("pos", "pos_transactions")):
        for path in (landing / folder).glob("*.csv"):
            with path.open(newline="", encoding="utf-8", errors="replace") as handle:
                counts[table] += sum(1 for _ in csv.reader(handle)) - 1
    for path in (landing / "web").glob("*.jsonl"):
        counts["web_events"] += sum(1 for line in path.read_bytes().split(b"\n") if line.strip())
    return counts


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """Run the CLI twice on a private copy of the sample and keep what each run left."""
    from dagster_project.settings import SAMPLE_LANDING_DIR

    root = tmp_path_factory.mktemp("pipeline")
    landing = root / "landing"
    shutil.copytree(SAMPLE_LANDING_DIR, landing)
    warehouse = root / "warehouse" / "cdp.duckdb"
    args = ["--landing-dir", str(landing), "--warehouse", str(warehouse)]
    from dagster_project.assets import transform

    before = _run_variables()
    seen_by_gate_start: list[dict[str, str | None]] = []
    prepare = transform._prepare_quality_gate

    def recording_prepare() -> None:
        seen_by_gate_start.append(_run_variables())
        prepare()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transform, "_prepare_quality_gate", recording_prepare)
        first = cli.main(args)
    with duckdb.connect(str(work_database_of(warehouse))) as conn:
        after_first = {t: _count(conn, f"raw.{t}") for t in ("crm_contacts", "web_events", "pos_transactions", "rejects")}
        # what a warehouse built by an older version keeps: the table of a model since removed
        conn.execute("create table intermediate.int_identity__record_anchors as select 1 as anchor_node_key")
        # and a model's table from before the model was built incrementally (no _loaded_at)
        conn.execute(
            "create or replace table intermediate.int_identity__record_identifiers as "
            "select * exclude (_loaded_at) from intermediate.int_identity__record_identifiers"
        )
        identifier_rows = _count(conn, "intermediate.int_identity__record_identifiers")
    second = cli.main(args)
    return {"codes": (first, second), "warehouse": warehouse, "landing": landing, "after_first": after_first,
            "identifier_rows_after_first": identifier_rows,
            "variables_before": before, "seen_by_gate_start": seen_by_gate_start}


def test_both_runs_succeed(built) -> None:
    assert built["codes"] == (0, 0)


def test_the_run_variables_reach_dbt_only(built) -> None:
    """dbt's process gets the run's paths and id as env vars; this process does not keep them while
    dbt works, so the gate's import thread and worker process (started before the segments) do
    not inherit them and no later run in this process can pick them up."""
    assert built["seen_by_gate_start"] == [built["variables_before"]]
    assert _run_variables() == built["variables_before"]


def test_every_landed_record_is_loaded_or_rejected(built) -> None:
    expected = _records_in_landing(built["landing"])
    with duckdb.connect(str(work_database_of(built["warehouse"])), read_only=True) as conn:
        for table, records in expected.items():
            loaded = _count(conn, f"raw.{table}")
            rejected = conn.execute("select count(*) from raw.rejects where source = ?", [table]).fetchone()[0]
            assert loaded + rejected == records, table
            assert loaded > 0.95 * records, table


def test_a_removed_models_table_is_dropped(built) -> None:
    with duckdb.connect(str(work_database_of(built["warehouse"])), read_only=True) as conn:
        assert conn.execute(
            "select count(*) from information_schema.tables where table_name = 'int_identity__record_anchors'"
        ).fetchone()[0] == 0


def test_a_table_from_before_its_model_was_incremental_is_rebuilt(built) -> None:
    """The second run found record identifiers without the column its incremental runs read: it
    rebuilt the table (instead of stopping with dbt's "out of sync" error) with the same rows."""
    with duckdb.connect(str(work_database_of(built["warehouse"])), read_only=True) as conn:
        columns = [row[0] for row in conn.execute("describe intermediate.int_identity__record_identifiers").fetchall()]
        rows = _count(conn, "intermediate.int_identity__record_identifiers")
    assert "_loaded_at" in columns
    assert rows == built["identifier_rows_after_first"]


SCOPED_WEB_TEST = "test.cdp.unique_combination_of_columns_stg_web__events__source_file___source_line."


def _test_staged_web_events(work_database: Path, registry: Path, target: Path) -> dict[str, str]:
    """Run dbt's tests of the staged web events on ``work_database``; status by test id."""
    from dbt.cli.main import dbtRunner

    from dagster_project.settings import DBT_PROJECT_DIR, environment

    paths = {"CDP_WORK_DATABASE": str(work_database), "CDP_IDENTITY_REGISTRY": str(registry)}
    with environment(paths):
        result = dbtRunner().invoke([
            "test", "--select", "stg_web__events", "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--quiet",
        ])
    return {r.node.unique_id: r.status for r in result.result.results}


def test_staging_tests_record_the_newest_load_they_checked(built) -> None:
    with duckdb.connect(str(work_database_of(built["warehouse"])), read_only=True) as conn:
        marks = dict(conn.execute("select test_id, max(tested_through) from main.cdp_tested_loads group by all").fetchall())
        newest = conn.execute("select max(_loaded_at) from staging.stg_web__events").fetchone()[0]
    web_marks = {test: mark for test, mark in marks.items() if "stg_web__events" in test}
    assert len(web_marks) >= 10  # every test of the staged web events but the row count
    assert set(web_marks.values()) == {newest}


@pytest.mark.parametrize("loaded", ["later", "before the last run"])
def test_a_staging_test_checks_the_rows_loaded_since_it_passed(built, tmp_path: Path, loaded: str) -> None:
    """A staged event repeated with a new load's time fails the file-and-line uniqueness test
    (the new row is compared with every row of its file); repeated with a time the test has
    already passed, it is not looked at: the test reads what was loaded since, not the history."""
    work = tmp_path / "cdp.duckdb"
    registry = tmp_path / "identity_registry.duckdb"
    shutil.copyfile(work_database_of(built["warehouse"]), work)
    shutil.copyfile(built["warehouse"].parent / "identity_registry.duckdb", registry)
    with duckdb.connect(str(work)) as conn:
        loaded_at = "now()" if loaded == "later" else "_loaded_at"
        conn.execute(f"insert into staging.stg_web__events select * replace ({loaded_at}::timestamp as _loaded_at) "
                     "from staging.stg_web__events order by _loaded_at limit 1")
    statuses = _test_staged_web_events(work, registry, tmp_path / "target")
    [status] = [status for test, status in statuses.items() if test.startswith(SCOPED_WEB_TEST)]
    assert status == ("fail" if loaded == "later" else "pass")


def test_second_run_adds_nothing(built) -> None:
    with duckdb.connect(str(work_database_of(built["warehouse"])), read_only=True) as conn:
        after_second = {t: _count(conn, f"raw.{t}") for t in built["after_first"]}
    assert after_second == built["after_first"]


def test_staging_models_hold_every_loaded_row(built) -> None:
    with duckdb.connect(str(work_database_of(built["warehouse"])), read_only=True) as conn:
        assert _count(conn, "staging.stg_crm__contacts") == _count(conn, "raw.crm_contacts")
        assert _count(conn, "staging.stg_pos__transactions") == _count(conn, "raw.pos_transactions")
        assert _count(conn, "staging.stg_web__events") == _count(conn, "raw.web_events")


def test_staged_values_are_normalised(built) -> None:
    with duckdb.connect(str(work_database_of(built["warehouse"])), read_only=True) as conn:
        bad_emails = conn.execute(
            "select count(*) from staging.stg_crm__contacts where email <> lower(trim(email))"
        ).fetchone()[0]
        bad_phones = conn.execute(
            "select count(*) from staging.stg_crm__contacts where phone is not null and not regexp_full_match(phone, '\\+[1-9][0-9]{6,14}')"
        ).fetchone()[0]
        phones = conn.execute("select count(phone) from staging.stg_crm__contacts").fetchone()[0]
    assert bad_emails == 0
    assert bad_phones == 0
    assert phones > 0


def test_a_file_missing_a_column_fails_its_source_and_the_others_still_load(
    sample_landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = sample_landing / "crm" / "contacts_2026-02-01.csv"
    broken.write_text("contact_id,first_name,last_name,email,created_at,updated_at\nC1,A,B,a@b.c,2026-02-01,2026-02-01\n")
    warehouse = tmp_path / "cdp.duckdb"

    code = cli.main(["--landing-dir", str(sample_landing), "--warehouse", str(warehouse)])

    assert code == 1
    error_output = capsys.readouterr().err
    assert "raw__crm_contacts" in error_output
    assert "contacts_2026-02-01.csv: missing required column(s) phone" in error_output
    with duckdb.connect(str(work_database_of(warehouse)), read_only=True) as conn:
        assert _count(conn, "raw.web_events") > 0
        assert _count(conn, "raw.pos_transactions") > 0
        assert _count(conn, "raw.crm_contacts") > 0  # the source's good files still load
        failed = conn.execute("select file_name from raw.load_log where status = 'failed'").fetchall()
    assert failed == [("contacts_2026-02-01.csv",)]
