"""The extract layer against real files in a temporary landing directory and warehouse."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dagster_project.contracts import CRM_CONTACTS, POS_TRANSACTIONS, WEB_EVENTS
from dagster_project.extract import loader
from dagster_project.extract.loader import load_source
from dagster_project.warehouse import connect

CRM_HEADER = ",".join(CRM_CONTACTS.column_names)


def crm_row(contact_id: str, email: str = "ann@example.com", updated_at: str = "2026-01-02T10:00:00+01:00", **overrides: str) -> str:
    values = {
        "contact_id": contact_id, "first_name": "Ann", "last_name": "O'Neil", "email": email,
        "phone": "07700 900123", "street": "1 High St", "city": "Leeds", "postal_code": "LS1 1AA",
        "country": "GB", "birth_date": "1980-02-03", "loyalty_id": "L1", "email_opt_in": "yes",
        "sms_opt_in": "0", "created_at": "2026-01-01T09:00:00Z", "updated_at": updated_at,
    } | overrides
    return ",".join(values[c] for c in CRM_CONTACTS.column_names)


def event(message_id: str, **fields: object) -> str:
    return json.dumps({"messageId": message_id, "type": "track", "event": "Product Viewed",
                       "anonymousId": "anon-1", "timestamp": "2026-01-01T10:00:00-05:00"} | fields)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    for folder in ("crm", "web", "pos"):
        (tmp_path / "landing" / folder).mkdir(parents=True)
    return tmp_path / "landing"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "cdp.duckdb"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_clean_csv_loads_every_row_with_its_file_and_line(landing: Path, db: Path) -> None:
    write(landing / "crm" / "contacts_1.csv", [CRM_HEADER, crm_row("C1"), crm_row("C2"), crm_row("C3")])
    with connect(db) as conn:
        report = load_source(conn, CRM_CONTACTS, landing)
        rows = conn.execute("select contact_id, last_name, _source_file, _source_line from raw.crm_contacts order by 1").fetchall()
    assert (report.rows_loaded, report.rows_rejected) == (3, 0)
    assert rows == [("C1", "O'Neil", "contacts_1.csv", 2), ("C2", "O'Neil", "contacts_1.csv", 3), ("C3", "O'Neil", "contacts_1.csv", 4)]


def test_rerun_loads_nothing_new(landing: Path, db: Path) -> None:
    write(landing / "crm" / "contacts_1.csv", [CRM_HEADER, crm_row("C1")])
    write(landing / "web" / "events_1.jsonl", [event("m1"), event("m2")])
    for _ in range(2):
        with connect(db) as conn:
            reports = [load_source(conn, s, landing) for s in (CRM_CONTACTS, WEB_EVENTS, POS_TRANSACTIONS)]
    with connect(db) as conn:
        counts = conn.execute("select (select count(*) from raw.crm_contacts), (select count(*) from raw.web_events), (select count(*) from raw.load_log)").fetchone()
    assert counts == (1, 2, 2)
    assert [f.status for r in reports for f in r.files] == ["unchanged", "unchanged"]


def test_malformed_rows_are_quarantined_with_file_line_field_and_reason(landing: Path, db: Path) -> None:
    write(landing / "crm" / "contacts_1.csv", [
        CRM_HEADER,
        crm_row("C1"),
        crm_row("", email="x@example.com"),                 # line 3: required value missing
        crm_row("C3", updated_at="next tuesday"),           # line 4: bad timestamp
        crm_row("C4") + ",surplus",                         # line 5: too many columns
        crm_row("C5", birth_date="1980-02-30", sms_opt_in="maybe"),  # line 6: two bad fields
        crm_row("C6"),
    ])
    with connect(db) as conn:
        report = load_source(conn, CRM_CONTACTS, landing)
        loaded = conn.execute("select contact_id from raw.crm_contacts order by 1").fetchall()
        rejects = conn.execute("select file_name, line, field, reason from raw.rejects order by line").fetchall()
        log = conn.execute("select status, rows_loaded, rows_rejected from raw.load_log").fetchall()
    assert loaded == [("C1",), ("C6",)]
    assert [(r[0], r[1], r[2]) for r in rejects] == [
        ("contacts_1.csv", 3, "contact_id"),
        ("contacts_1.csv", 4, "updated_at"),
        ("contacts_1.csv", 5, None),
        ("contacts_1.csv", 6, "birth_date, sms_opt_in"),
    ]
    assert "not a valid timestamp: next tuesday" in rejects[1][3]
    assert "TOO MANY COLUMNS" in rejects[2][3]
    assert "birth_date is not a valid date" in rejects[3][3] and "sms_opt_in is not a valid boolean" in rejects[3][3]
    assert log == [("loaded", 2, 4)]
    assert report.rows_loaded + report.rows_rejected == 6


def test_file_missing_a_required_column_fails_alone(landing: Path, db: Path) -> None:
    write(landing / "pos" / "day_1.csv", ["transaction_id,store_id,transaction_at,currency", "T1,S1,2026-01-01T10:00:00Z,EUR"])
    write(landing / "pos" / "day_2.csv", [",".join(POS_TRANSACTIONS.column_names), "T2,S1,2026-01-02T10:00:00Z,,,,,,,12.50,EUR,2,DE"])
    with connect(db) as conn:
        report = load_source(conn, POS_TRANSACTIONS, landing)
        loaded = conn.execute("select transaction_id, amount from raw.pos_transactions").fetchall()
        failed = conn.execute("select file_name, message from raw.load_log where status = 'failed'").fetchall()
    assert [f.file_name for f in report.failed] == ["day_1.csv"]
    assert "day_1.csv" in report.failed[0].message and "amount" in report.failed[0].message
    assert loaded == [("T2", "12.50")]
    assert failed[0][0] == "day_1.csv" and "missing required column(s) amount" in failed[0][1]


def test_optional_columns_may_be_absent_and_unknown_ones_are_reported(landing: Path, db: Path) -> None:
    write(landing / "pos" / "day_1.csv", ["transaction_id,store_id,transaction_at,amount,currency,till_operator", "T1,S1,2026-01-01T10:00:00Z,9.99,EUR,bob"])
    with connect(db) as conn:
        report = load_source(conn, POS_TRANSACTIONS, landing)
        row = conn.execute("select transaction_id, email, item_count from raw.pos_transactions").fetchone()
    assert row == ("T1", None, None)
    assert report.extra_columns == {"day_1.csv": ["till_operator"]}


def test_changed_file_under_same_name_is_reported_not_loaded(landing: Path, db: Path) -> None:
    path = write(landing / "crm" / "contacts_1.csv", [CRM_HEADER, crm_row("C1")])
    with connect(db) as conn:
        load_source(conn, CRM_CONTACTS, landing)
    write(path, [CRM_HEADER, crm_row("C1"), crm_row("C2")])
    for _ in range(2):
        with connect(db) as conn:
            report = load_source(conn, CRM_CONTACTS, landing)
    with connect(db) as conn:
        rows = conn.execute("select count(*) from raw.crm_contacts").fetchone()[0]
        statuses = conn.execute("select status from raw.load_log order by started_at").fetchall()
    assert rows == 1
    assert [f.status for f in report.files] == ["changed"]
    assert "contacts_1.csv" in report.changed[0].message and "changed" in report.changed[0].message
    assert statuses == [("loaded",), ("changed",)]  # reported once, not once per run


def _fingerprints_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every file the loader hashes."""
    from dagster_project.extract import loader

    hashed: list[str] = []
    original = loader.file_fingerprint

    def counting(path: Path) -> tuple[str, bool]:
        hashed.append(path.name)
        return original(path)

    monkeypatch.setattr(loader, "file_fingerprint", counting)
    return hashed


def test_a_loaded_file_with_the_same_size_and_mtime_is_not_read_again(landing: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(landing / "crm" / "contacts_1.csv", [CRM_HEADER, crm_row("C1")])
    hashed = _fingerprints_counted(monkeypatch)
    with connect(db) as conn:
        load_source(conn, CRM_CONTACTS, landing)
    write(landing / "crm" / "contacts_2.csv", [CRM_HEADER, crm_row("C2")])
    with connect(db) as conn:
        report = load_source(conn, CRM_CONTACTS, landing)
    assert [(f.file_name, f.status) for f in report.files] == [("contacts_1.csv", "unchanged"), ("contacts_2.csv", "loaded")]
    assert hashed == ["contacts_1.csv", "contacts_2.csv"]  # the first file was hashed once, when it was new


def test_a_touched_file_is_hashed_once_and_then_skipped(landing: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(landing / "crm" / "contacts_1.csv", [CRM_HEADER, crm_row("C1")])
    with connect(db) as conn:
        load_source(conn, CRM_CONTACTS, landing)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # same bytes, new mtime
    hashed = _fingerprints_counted(monkeypatch)
    for _ in range(2):
        with connect(db) as conn:
            report = load_source(conn, CRM_CONTACTS, landing)
        assert [f.status for f in report.files] == ["unchanged"]
    assert hashed == ["contacts_1.csv"]  # the new mtime was recorded by the first of the two runs


def test_verify_checksums_finds_a_change_that_kept_size_and_mtime(landing: Path, db: Path) -> None:
    path = write(landing / "crm" / "contacts_1.csv", [CRM_HEADER, crm_row("C1")])
    with connect(db) as conn:
        load_source(conn, CRM_CONTACTS, landing)
    stat = path.stat()
    write(path, [CRM_HEADER, crm_row("C9")])  # same length, other content
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old mtime put back
    with connect(db) as conn:
        quick = load_source(conn, CRM_CONTACTS, landing)
        verified = load_source(conn, CRM_CONTACTS, landing, verify_checksums=True)
        rows = conn.execute("select contact_id from raw.crm_contacts").fetchall()
    assert [f.status for f in quick.files] == ["unchanged"]  # the quick check's documented blind spot
    assert [f.status for f in verified.files] == ["changed"]
    assert rows == [("C1",)]


def test_same_content_under_another_name_is_skipped(landing: Path, db: Path) -> None:
    write(landing / "crm" / "contacts_1.csv", [CRM_HEADER, crm_row("C1")])
    write(landing / "crm" / "contacts_1_copy.csv", [CRM_HEADER, crm_row("C1")])
    with connect(db) as conn:
        report = load_source(conn, CRM_CONTACTS, landing)
        rows = conn.execute("select count(*) from raw.crm_contacts").fetchone()[0]
    assert rows == 1
    assert [f.status for f in report.files] == ["loaded", "duplicate"]


def test_json_lines_are_checked_against_the_segment_contract(landing: Path, db: Path) -> None:
    path = landing / "web" / "events_1.jsonl"
    lines = [
        event("m1"),
        "{not json",
        "",
        event("m2", type="purchase"),
        event("m3", anonymousId=None),
        event("", timestamp="yesterday"),
        "[1, 2]",
        event("m1"),  # a re-delivery is landed; deduplication happens downstream
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode() + event("m9", userId="J\u00f6rg").replace("\\u00f6", "\u00f6").encode("latin-1") + b"\n")
    with connect(db) as conn:
        report = load_source(conn, WEB_EVENTS, landing)
        loaded = conn.execute("select payload->>'messageId', _source_line from raw.web_events order by _source_line").fetchall()
        rejects = conn.execute("select line, field, reason from raw.rejects order by line").fetchall()
    assert loaded == [("m1", 1), ("m1", 8)]
    assert [(line, field) for line, field, _ in rejects] == [
        (2, None), (4, "type"), (5, "anonymousId"), (6, "messageId, timestamp"), (7, None), (9, None),
    ]
    assert [reason.split(":")[0].split(" (")[0] for _, _, reason in rejects] == [
        "not valid JSON", "unknown event type", "neither anonymousId nor userId is set",
        "required value messageId is empty; timestamp is not a valid timestamp", "not a JSON object", "not valid UTF-8",
    ]
    assert (report.rows_loaded, report.rows_rejected) == (2, 6)


def test_a_file_is_loaded_whole_or_not_at_all(landing: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(landing / "crm" / "contacts_1.csv", [CRM_HEADER, crm_row("C1"), crm_row("C2")])
    original = loader._log

    def crash_after_rows_are_written(*args, **kwargs):
        raise RuntimeError("killed mid-load")

    monkeypatch.setattr(loader, "_log", crash_after_rows_are_written)
    with connect(db) as conn, pytest.raises(RuntimeError):
        load_source(conn, CRM_CONTACTS, landing)
    monkeypatch.setattr(loader, "_log", original)
    with connect(db) as conn:
        assert conn.execute("select count(*) from raw.crm_contacts").fetchone()[0] == 0
        report = load_source(conn, CRM_CONTACTS, landing)
        assert conn.execute("select count(*) from raw.crm_contacts").fetchone()[0] == 2
    assert report.rows_loaded == 2


def test_empty_and_header_only_files_load_zero_rows(landing: Path, db: Path) -> None:
    (landing / "crm" / "empty.csv").write_bytes(b"")
    write(landing / "crm" / "header_only.csv", [CRM_HEADER])
    (landing / "web" / "empty.jsonl").write_bytes(b"")
    with connect(db) as conn:
        reports = [load_source(conn, s, landing) for s in (CRM_CONTACTS, WEB_EVENTS)]
    assert [(f.file_name, f.status, f.rows_loaded) for r in reports for f in r.files] == [
        ("empty.csv", "loaded", 0), ("header_only.csv", "loaded", 0), ("empty.jsonl", "loaded", 0),
    ]


def test_missing_source_folder_is_an_empty_source(tmp_path: Path, db: Path) -> None:
    with connect(db) as conn:
        report = load_source(conn, WEB_EVENTS, tmp_path / "nowhere")
    assert report.files == []


def test_landed_values_are_stored_with_zstd(landing: Path, db: Path) -> None:
    """The raw layer keeps every landed row for good: its text columns are ZSTD-compressed
    (a quarter of the default's size for JSON lines), its lineage columns are not forced."""
    write(landing / "web" / "events_1.jsonl", [event(f"m{i}", properties={"url": f"https://shop.example/p/{i}"}) for i in range(3000)])
    write(landing / "crm" / "contacts_1.csv", [CRM_HEADER, *(crm_row(f"C{i}") for i in range(3000))])
    with connect(db) as conn:
        load_source(conn, WEB_EVENTS, landing)
        load_source(conn, CRM_CONTACTS, landing)
        conn.execute("checkpoint")
        stored = dict(conn.execute(
            """select table_name || '.' || column_name, list(distinct compression order by compression)
               from (select 'web_events' as table_name, * from pragma_storage_info('raw.web_events')
                     union all select 'crm_contacts', * from pragma_storage_info('raw.crm_contacts'))
               where segment_type in ('VARCHAR', 'JSON') group by all"""
        ).fetchall())
    assert stored["web_events.payload"] == ["ZSTD"]
    assert stored["crm_contacts.contact_id"] == ["ZSTD"]
    assert "ZSTD" not in stored["web_events._load_id"]


def _everything_landed(conn) -> dict[str, list[tuple]]:
    """What loads wrote, without what differs between runs by design (load ids and times)."""
    tables = {table: f"select * exclude (_load_id, _loaded_at) from raw.{table} order by all"
              for table in ("crm_contacts", "pos_transactions", "web_events")}
    tables["rejects"] = "select * exclude (load_id, rejected_at) from raw.rejects order by all"
    tables["load_log"] = ("select source, file_name, checksum, status, rows_loaded, rows_rejected, message "
                          "from raw.load_log order by all")
    return {name: conn.execute(query).fetchall() for name, query in tables.items()}


def _landing_with_every_kind_of_file(landing: Path) -> None:
    for day in range(1, 6):
        write(landing / "crm" / f"contacts_{day}.csv",
              [CRM_HEADER, crm_row(f"C{day}"), crm_row(f"C{day}b", updated_at="next tuesday"), crm_row("C1")])
        write(landing / "web" / f"events_{day}.jsonl",
              [event(f"m{day}"), "{not json", event("m1", anonymousId=f"anon-{day}"), event(f"x{day}", type="nope")])
        write(landing / "pos" / f"day_{day}.csv",
              [",".join(POS_TRANSACTIONS.column_names), f"T{day},S1,2026-01-0{day}T10:00:00Z,,,,,,,12.50,EUR,2,DE",
               "T1,S1,2026-01-01T10:00:00Z,,,,,,,12.50,EUR,2,DE"])
    write(landing / "pos" / "day_6_again.csv", (landing / "pos" / "day_2.csv").read_text().splitlines())
    write(landing / "pos" / "day_7.csv", ["transaction_id,store_id", "T7,S1"])  # fails: columns missing


def test_loading_files_side_by_side_lands_what_one_at_a_time_does(tmp_path: Path) -> None:
    """Two (or three) loads at once write the same rows, rejects and log as one load at a time,
    and the load times follow the file names, whichever load committed first: the
    deduplication keeps the copy landed first."""
    landing = tmp_path / "landing"
    for folder in ("crm", "web", "pos"):
        (landing / folder).mkdir(parents=True)
    _landing_with_every_kind_of_file(landing)
    landed, statuses = {}, {}
    for workers in (1, 2, 3):
        with connect(tmp_path / f"workers_{workers}" / "cdp.duckdb") as conn:
            reports = [load_source(conn, s, landing, workers=workers) for s in (CRM_CONTACTS, WEB_EVENTS, POS_TRANSACTIONS)]
            landed[workers] = _everything_landed(conn)
            statuses[workers] = [(f.file_name, f.status, f.rows_loaded, f.rows_rejected) for r in reports for f in r.files]
            order_by_time = conn.execute(
                """select source, list(file_name order by loaded_at) = list(file_name order by file_name)
                   from (select 'crm' as source, _source_file as file_name, min(_loaded_at) as loaded_at
                         from raw.crm_contacts group by all
                         union all select 'web', _source_file, min(_loaded_at) from raw.web_events group by all
                         union all select 'pos', _source_file, min(_loaded_at) from raw.pos_transactions group by all)
                   group by source order by source"""
            ).fetchall()
        assert order_by_time == [("crm", True), ("pos", True), ("web", True)]
    assert landed[2] == landed[1] and landed[3] == landed[1]
    assert statuses[2] == statuses[1] and statuses[3] == statuses[1]
    assert ("day_6_again.csv", "duplicate", 0, 0) in statuses[1] and ("day_7.csv", "failed", 0, 0) in statuses[1]
    assert len(landed[1]["rejects"]) == 15 and len(landed[1]["web_events"]) == 10


def test_a_load_that_raises_stops_the_source_and_keeps_nothing_of_its_file(landing: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for day in range(1, 5):
        write(landing / "crm" / f"contacts_{day}.csv", [CRM_HEADER, crm_row(f"C{day}")])
    original = loader._log

    def crash_on_the_second_file(conn, source, path, *args, **kwargs):
        if path.name == "contacts_2.csv":
            raise RuntimeError("disk full")
        original(conn, source, path, *args, **kwargs)

    monkeypatch.setattr(loader, "_log", crash_on_the_second_file)
    with connect(db) as conn, pytest.raises(RuntimeError, match="disk full"):
        load_source(conn, CRM_CONTACTS, landing, workers=2)
    monkeypatch.setattr(loader, "_log", original)
    with connect(db) as conn:
        files = [row[0] for row in conn.execute("select distinct _source_file from raw.crm_contacts order by 1").fetchall()]
        assert "contacts_1.csv" in files and "contacts_2.csv" not in files
        report = load_source(conn, CRM_CONTACTS, landing)
        assert conn.execute("select count(*) from raw.crm_contacts").fetchone()[0] == 4
    assert {f.file_name: f.status for f in report.files}["contacts_2.csv"] == "loaded"


def test_workers_must_be_at_least_one(landing: Path, db: Path) -> None:
    with connect(db) as conn, pytest.raises(ValueError, match="at least 1"):
        load_source(conn, CRM_CONTACTS, landing, workers=0)
