"""The release's two warehouses: the analyst one masked, the PII one in full, both whole.

The tables without PII are written once and the file copied, and a nightly release patches the
previous one's customer_records (publishing/release.py); these tests hold both files to the
working database table by table.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.publishing import release
from dagster_project.publishing.release import MAX_PATCHES_IN_A_ROW, RELEASE_MANIFEST, PatchBase, _build_warehouses, _patch_base

copy_table = release._copy_table


@pytest.fixture
def work_database(tmp_path: Path) -> Path:
    path = tmp_path / "work.duckdb"
    with duckdb.connect(str(path)) as conn:
        for schema in ("marts", "segments", "activation", "staging"):
            conn.execute(f"create schema {schema}")
        conn.execute(
            """create table marts.customers as
               select 'c' || i as customer_id, 'person' || i || '@example.com' as email,
                      'Smith' as last_name, i * 10 as lifetime_value
               from range(1000) t(i)"""
        )
        conn.execute("create table marts.customer_orders as select 'c' || i as customer_id, i as amount from range(2000) t(i)")
        conn.execute("create table activation.segment_memberships as select 'c' || i as customer_id, 'vip' as segment from range(50) t(i)")
        conn.execute("create table staging.not_published as select 'x@example.com' as email")
    return path


def _tables(path: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(
            """select table_schema || '.' || table_name, list(column_name order by ordinal_position)
               from information_schema.columns group by all"""
        ).fetchall()
    return dict(rows)


def test_the_pii_warehouse_is_the_work_tables_in_full_and_the_analyst_one_is_masked(work_database: Path, tmp_path: Path) -> None:
    analyst, full = tmp_path / "cdp.duckdb", tmp_path / "cdp_pii.duckdb"
    rows, masked, _ = _build_warehouses(work_database, analyst, full, "1GB")

    published = {"marts.customers", "marts.customer_orders", "activation.segment_memberships"}
    assert rows == {"activation.segment_memberships": 50, "marts.customer_orders": 2000, "marts.customers": 1000}
    assert set(masked) == {"marts.customers.email", "marts.customers.last_name"}
    assert set(_tables(analyst)) == set(_tables(full)) == published
    assert _tables(analyst)["marts.customers"] == ["customer_id", "email_sha256", "lifetime_value"]

    with duckdb.connect() as conn:
        conn.execute(f"attach '{work_database}' as work (read_only)")
        conn.execute(f"attach '{full}' as pii (read_only)")
        conn.execute(f"attach '{analyst}' as analyst (read_only)")
        for table in sorted(published):
            difference = conn.execute(
                f"""select count(*) from (
                        (select * from work.{table} except all select * from pii.{table})
                        union all
                        (select * from pii.{table} except all select * from work.{table}))"""
            ).fetchall()[0][0]
            assert difference == 0, f"{table} differs between the working database and the PII warehouse"
        assert conn.execute("select count(*) from analyst.marts.customer_orders").fetchall()[0][0] == 2000
        assert conn.execute(
            "select count(*) from analyst.marts.customers where email_sha256 = sha256('person7@example.com')"
        ).fetchall()[0][0] == 1


def _differences(work_database: Path, release_file: Path, table: str, columns: str) -> int:
    with duckdb.connect() as conn:
        conn.execute(f"attach '{work_database}' as work (read_only)")
        conn.execute(f"attach '{release_file}' as release (read_only)")
        return conn.execute(
            f"""select count(*) from (
                    (select {columns} from work.{table} except all select {columns} from release.{table})
                    union all
                    (select {columns} from release.{table} except all select {columns} from work.{table}))"""
        ).fetchall()[0][0]


def _release_into(directory: Path, work_database: Path, base: PatchBase | None = None) -> tuple[Path, tuple]:
    """Build a release's two files into ``directory`` (patched from ``base`` if given)."""
    directory.mkdir()
    return directory, _build_warehouses(work_database, directory / "cdp.duckdb", directory / "cdp_pii.duckdb", "1GB", base)


def test_a_patched_release_holds_what_a_whole_one_does(work_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """customer_records' model rewrites only changed rows, each stamped with its build: the next
    release copies the previous analyst file and replaces just the rows of builds it has not seen.
    A key the model deleted (a customer merged into another) is deleted from the copy too."""
    columns = "source, record_key, customer_id"
    with duckdb.connect(str(work_database)) as conn:
        conn.execute(
            """create table marts.customer_records as
               select 'web' as source, 'm' || i as record_key, 'c' || (i % 1000) as customer_id, timestamp '2026-01-01 01:00:00' as _built_at
               from range(5000) t(i)"""
        )
        conn.execute(  # a patched table with a masked column
            """create table marts.web_sessions as
               select 's' || i as session_id, 'device' || (i % 300) as anonymous_id, i as events, timestamp '2026-01-01 01:00:00' as _built_at
               from range(1000) t(i)"""
        )
    first, (_, _, builds) = _release_into(tmp_path / "first", work_database)
    assert builds == {"marts.customer_records": ["2026-01-01 01:00:00"], "marts.web_sessions": ["2026-01-01 01:00:00"]}
    assert "_built_at" not in _tables(first / "cdp.duckdb")["marts.customer_records"]

    with duckdb.connect(str(work_database)) as conn:  # the next run moves 100 records and adds 10
        conn.execute("update marts.customer_records set customer_id = 'c-new', _built_at = timestamp '2026-01-02 01:00:00' where record_key < 'm2'")
        conn.execute("insert into marts.customer_records select 'pos', 't' || i, 'c1', timestamp '2026-01-02 01:00:00' from range(10) t(i)")
        conn.execute("update marts.customers set lifetime_value = 0")
        conn.execute("update marts.web_sessions set events = -1, _built_at = timestamp '2026-01-02 01:00:00' where session_id < 's2'")
    second, (rows, _, builds) = _release_into(tmp_path / "second", work_database, PatchBase(first / "cdp.duckdb", first / "cdp_pii.duckdb", builds, 0))
    assert rows["marts.customer_records"] == 5010
    assert builds["marts.customer_records"] == builds["marts.web_sessions"] == ["2026-01-01 01:00:00", "2026-01-02 01:00:00"]
    for release_file in (second / "cdp.duckdb", second / "cdp_pii.duckdb"):
        assert _differences(work_database, release_file, "marts.customer_records", columns) == 0
        assert _differences(work_database, release_file, "marts.customer_orders", "*") == 0
    assert _differences(work_database, second / "cdp_pii.duckdb", "marts.customers", "*") == 0
    assert _differences(work_database, second / "cdp_pii.duckdb", "marts.web_sessions", "session_id, anonymous_id, events") == 0
    with duckdb.connect() as conn:  # the analyst file's sessions: patched, and masked
        conn.execute(f"attach '{work_database}' as work (read_only)")
        conn.execute(f"attach '{second / 'cdp.duckdb'}' as analyst (read_only)")
        assert conn.execute(
            """select count(*) from work.marts.web_sessions as w
               inner join analyst.marts.web_sessions as a
                   on a.session_id = w.session_id and a.anonymous_id_sha256 = sha256(w.anonymous_id) and a.events = w.events"""
        ).fetchall()[0][0] == 1000

    with duckdb.connect(str(work_database)) as conn:  # a key deleted: the patch deletes it too
        conn.execute("delete from marts.customer_records where record_key = 'm4999'")
        conn.execute("update marts.customer_records set _built_at = timestamp '2026-01-03 01:00:00' where record_key = 't0'")
    written_whole = []
    monkeypatch.setattr(release, "_copy_table", lambda conn, schema, table, *args, **kwargs: written_whole.append(table) or copy_table(conn, schema, table, *args, **kwargs))
    third, (rows, _, _) = _release_into(tmp_path / "third", work_database, PatchBase(second / "cdp.duckdb", second / "cdp_pii.duckdb", builds, 1))
    assert rows["marts.customer_records"] == 5009
    assert "customer_records" not in written_whole and "customer_orders" in written_whole
    assert _differences(work_database, third / "cdp.duckdb", "marts.customer_records", columns) == 0


def test_a_release_is_written_whole_after_an_erasure_or_a_run_of_patches(tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    assert _patch_base(None, erased=False) is None
    previous.mkdir()
    assert _patch_base(previous, erased=False) is None  # no manifest
    manifest = {"run_id": "r", "tables": {}, "builds": {"marts.customer_records": ["2026-01-01 01:00:00"]}, "patches_in_a_row": 2}
    (previous / RELEASE_MANIFEST).write_text(json.dumps(manifest))
    assert _patch_base(previous, erased=False) == PatchBase(previous / "cdp.duckdb", previous / "cdp_pii.duckdb", manifest["builds"], 2)
    assert _patch_base(previous, erased=True) is None
    (previous / RELEASE_MANIFEST).write_text(json.dumps(manifest | {"patches_in_a_row": MAX_PATCHES_IN_A_ROW}))
    assert _patch_base(previous, erased=False) is None
    (previous / RELEASE_MANIFEST).write_text(json.dumps({"run_id": "r", "tables": {}}))  # from before patching
    assert _patch_base(previous, erased=False) is None
