"""Erasure requests end to end, and consent as the unified table shows it.

Two people who appear in every source ask to be forgotten, one by e-mail, one by customer id.
After the next run they are gone from the published warehouses and every export file, and a CRM
file landed later with the same e-mail does not bring the first one back.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project import run as cli
from dagster_project.publishing.layout import work_database_of
from dagster_project.settings import SAMPLE_LANDING_DIR

pytestmark = pytest.mark.integration

CRM_HEADER = "contact_id,first_name,last_name,email,phone,street,city,postal_code,country,birth_date,loyalty_id,email_opt_in,sms_opt_in,created_at,updated_at"


def _args(root: Path) -> list[str]:
    return ["--landing-dir", str(root / "landing"), "--warehouse", str(root / "warehouse" / "cdp.duckdb")]


def _varchar_values_containing(database: Path, needles: list[str]) -> list[str]:
    """Every (table.column) of ``database`` whose values contain any needle."""
    hits = []
    with duckdb.connect(str(database), read_only=True) as conn:
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            for needle in needles:
                found = conn.execute(
                    f'select count(*) from "{schema}"."{table}" where contains("{column}", ?)', [needle]
                ).fetchall()[0][0]
                if found:
                    hits.append(f"{schema}.{table}.{column} contains {needle}")
    return hits


def _files_containing(directory: Path, needles: list[str]) -> list[str]:
    hits = []
    for path in directory.rglob("*"):
        if path.is_file() and path.suffix in {".csv", ".json"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            hits += [f"{path.relative_to(directory)} contains {n}" for n in needles if n in text]
    return hits


@pytest.fixture(scope="module")
def erased(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("privacy")
    shutil.copytree(SAMPLE_LANDING_DIR, root / "landing")
    assert cli.main(_args(root)) == 0
    with duckdb.connect(str(work_database_of(root / "warehouse" / "cdp.duckdb")), read_only=True) as conn:
        people = conn.execute(
            """select customer_id, email, phone from marts.customers
               where email is not null and phone is not null and crm_contacts > 0 and web_events > 0
                 and pos_transactions > 0
               order by customer_id limit 2"""
        ).fetchall()
    (by_email, by_customer_id) = people
    erasure = root / "landing" / "erasure"
    erasure.mkdir()
    (erasure / "requests_2026-02-01.csv").write_text(
        "request_id,email,phone,customer_id,country,requested_at\n"
        f"GDPR-1,{by_email[1].upper()},,,,2026-02-01T09:00:00Z\n"
        f"GDPR-2,,,{by_customer_id[0]},,2026-02-01T09:05:00Z\n"
    )
    assert cli.main(_args(root)) == 0
    return {"root": root, "people": people}


def _identifiers(erased: dict[str, object]) -> list[str]:
    return [value for person in erased["people"] for value in person]


def test_erased_people_are_gone_from_both_published_warehouses(erased) -> None:
    warehouse = erased["root"] / "warehouse"
    assert _varchar_values_containing(warehouse / "cdp_pii.duckdb", _identifiers(erased)) == []
    hashed = [hashlib.sha256(value.encode()).hexdigest() for value in _identifiers(erased)]
    assert _varchar_values_containing(warehouse / "cdp.duckdb", _identifiers(erased) + hashed) == []


def test_erased_people_are_in_no_export_but_as_a_key_to_remove(erased) -> None:
    exports = erased["root"] / "warehouse" / "exports"
    personal = [value for _, *values in erased["people"] for value in values]  # e-mail, phone
    assert _files_containing(exports, personal) == []
    ids = [person[0] for person in erased["people"]]
    assert all(hit.split(" ")[0].endswith("removes.csv") for hit in _files_containing(exports, ids))


def test_the_suppression_list_holds_hashes_only(erased) -> None:
    registry = erased["root"] / "warehouse" / "identity_registry.duckdb"
    with duckdb.connect(str(registry), read_only=True) as conn:
        rows = conn.execute("select request_id, identifier_type, identifier_hash from suppressed_identifiers").fetchall()
    assert {request for request, _, _ in rows} == {"GDPR-1", "GDPR-2"}
    assert {"email", "phone", "crm_contact_id", "anonymous_id", "customer_id"} <= {kind for _, kind, _ in rows}
    assert all(len(digest) == 64 and set(digest) <= set("0123456789abcdef") for _, _, digest in rows)
    assert _varchar_values_containing(registry, _identifiers(erased)[1:2]) == []


def test_a_later_file_with_the_same_email_does_not_bring_them_back(erased) -> None:
    root = erased["root"]
    email = erased["people"][0][1]
    (root / "landing" / "crm" / "contacts_2026-02-05.csv").write_text(
        f"{CRM_HEADER}\nC-LATER-1,Sam,Later,{email},,,,,GB,,,true,true,2026-02-05T10:00:00Z,2026-02-05T10:00:00Z\n"
    )
    assert cli.main(_args(root)) == 0
    warehouse = root / "warehouse"
    assert _varchar_values_containing(warehouse / "cdp_pii.duckdb", [email, "C-LATER-1"]) == []
    assert _files_containing(warehouse / "exports", [email]) == []


def test_the_unified_table_shows_each_channels_consent_with_source_and_time(erased) -> None:
    with duckdb.connect(str(erased["root"] / "warehouse" / "cdp.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            """select email_consent, email_consent_source, email_consent_at, ads_consent, ads_consent_source
               from marts.customers"""
        ).fetchall()
    assert {row[1] for row in rows} >= {"crm", "web", None}
    assert all((source is None) == (at is None) for _, source, at, _, _ in rows)
    assert all(consent is False for consent, source, _, _, _ in rows if source is None)
    assert any(ads for *_, ads, source in rows if source == "web")


def test_the_landed_rows_of_erased_people_are_purged_from_the_working_database(erased) -> None:
    work = work_database_of(erased["root"] / "warehouse" / "cdp.duckdb")
    emails = [person[1] for person in erased["people"]]
    with duckdb.connect(str(work), read_only=True) as conn:
        assert conn.execute(
            "select count(*) from raw.crm_contacts where lower(trim(email)) in (select unnest(?::varchar[]))", [emails]
        ).fetchall()[0][0] == 0
        assert conn.execute(
            "select count(*) from staging.stg_web__events where email in (select unnest(?::varchar[]))", [emails]
        ).fetchall()[0][0] == 0
