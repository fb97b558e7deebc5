"""The release's two warehouses: the analyst one masked, the PII one in full, both whole.

The tables without PII are written once and the file copied (publishing/release.py); these tests
hold both files to the working database table by table.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.publishing.release import _build_warehouses


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
    rows, masked = _build_warehouses(work_database, analyst, full, "1GB")

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
