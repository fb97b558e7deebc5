"""Incremental nightly runs give exactly what full rebuilds of the same data give, table by table.

The bundled sample is loaded without its last two days (and without its last CRM export); the
warehouse is then copied. The original takes the held-back files as two nightly runs (incremental
staging, deduplication, sessions and event groups); the copy takes the same files in the same two
runs with ``--full-refresh`` (every model rebuilt from all landed rows). The new files carry what
makes incremental models go wrong when they are wrong: updated CRM contacts, a re-delivery of old
web events received *earlier* than their first copy (so the old winner must be replaced), an old
till transaction exported again, an erasure request for a person loaded in the first run (so rows
already built must be forgotten), and, in the second night (which has no erasure, so sessions and
event groups are recomputed only where they changed): a re-delivery of an old event from *another
device*, received before its first copy, which moves the event from one device's sessions to
another's; and a visit on a second device that takes a server-side call away from a session on a
device that received nothing that night.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project import run as cli
from dagster_project.publishing.layout import Layout, work_database_of
from dagster_project.publishing.release import published_run_id
from dagster_project.settings import SAMPLE_LANDING_DIR

pytestmark = pytest.mark.integration

NIGHTS = ("2026-01-29", "2026-01-30")
LAST_CRM_EXPORT = "contacts_2026-01-21.csv"
#: schemas of the working database compared table by table (raw differs by design: load ids and times)
COMPARED_SCHEMAS = ("staging", "intermediate", "marts", "segments", "activation")
#: per-load and per-run bookkeeping: the two runs load the same files under different load ids, at
#: different times, in runs with different ids (membership `since` and id changes are stamped with them)
BOOKKEEPING_COLUMNS = {"_load_id", "_loaded_at", "run_id", "changed_at", "since", "_built_at", "_previous_customer_id", "_as_of_at"}


def _run(landing: Path, warehouse: Path, *extra: str) -> None:
    code = cli.main(["--landing-dir", str(landing), "--warehouse", str(warehouse), *extra])
    assert code == 0


def _hold_back(landing: Path, held_back: Path) -> None:
    for night in NIGHTS:
        (held_back / night).mkdir(parents=True)
        files = [*landing.glob(f"*/*{night}*"), *([landing / "crm" / LAST_CRM_EXPORT] if night == NIGHTS[0] else [])]
        for path in files:
            shutil.move(path, held_back / night / f"{path.parent.name}__{path.name}")


def _release(landing: Path, held_back: Path) -> None:
    for path in held_back.iterdir():
        folder, name = path.name.split("__")
        shutil.move(path, landing / folder / name)


def _add_late_deliveries(landing: Path, night: str) -> None:
    """Old web events delivered again, received before their first copy; an old till sale exported again."""
    first_day = (landing / "web" / "events_2026-01-01.jsonl").read_text().splitlines()[:20]
    redelivered = []
    for line in first_day:
        event = json.loads(line)
        event["receivedAt"] = "2025-12-31T00:00:00.000Z"  # received first: this copy is kept
        redelivered.append(json.dumps(event))
    (landing / "web" / f"events_{night}_redelivered.jsonl").write_text("\n".join(redelivered) + "\n")
    pos_lines = (landing / "pos" / "transactions_2026-01-02.csv").read_text().splitlines()
    (landing / "pos" / f"transactions_{night}_reexport.csv").write_text("\n".join(pos_lines[:6]) + "\n")


def _add_event_moved_to_another_device(landing: Path, night: str) -> tuple[str, str, str]:
    """An old event re-delivered under another device's anonymousId, received before its first copy.

    Its first copy is replaced, so the event leaves its device's sessions for the other device's:
    both devices must be recomputed. Returns (message id, old device, new device).
    """
    events = [json.loads(line) for line in (landing / "web" / "events_2026-01-10.jsonl").read_text().splitlines()]
    moved = next(e for e in events if e.get("anonymousId") and e["type"] == "page")
    other_device = next(e["anonymousId"] for e in events if e.get("anonymousId") not in (None, moved["anonymousId"]))
    copy = moved | {"anonymousId": other_device, "receivedAt": "2025-12-31T00:00:00.000Z"}
    (landing / "web" / f"events_{night}_moved.jsonl").write_text(json.dumps(copy) + "\n")
    return moved["messageId"], moved["anonymousId"], other_device


#: A server-side call (userId, no anonymousId) and the two devices whose sessions compete for it.
CALL_USER, CALL_ID, FIRST_DEVICE, SECOND_DEVICE = "user-incremental-call", "call-incremental-1", "device-first", "device-second"


def _web_event(message_id: str, timestamp: str, **fields: str) -> str:
    return json.dumps({"messageId": message_id, "type": "track", "event": "Product Viewed", "userId": CALL_USER,
                       "timestamp": timestamp, "receivedAt": timestamp, "properties": {}, "context": {}} | fields)


def _add_server_call(landing: Path, night: str) -> None:
    """A visit on one device and a server-side call of the same user five minutes later: the call
    joins the device's session."""
    (landing / "web" / f"events_{night}_server_call.jsonl").write_text("\n".join([
        _web_event("visit-first-device", "2026-01-15T10:00:00.000Z", anonymousId=FIRST_DEVICE),
        _web_event(CALL_ID, "2026-01-15T10:05:00.000Z", event="Order Completed"),
    ]) + "\n")


def _add_later_session_on_another_device(landing: Path, night: str) -> None:
    """The same user on a second device a minute before the call: that session started later, so
    the call moves to it, off a device that received nothing tonight."""
    (landing / "web" / f"events_{night}_second_device.jsonl").write_text(
        _web_event("visit-second-device", "2026-01-15T10:04:00.000Z", anonymousId=SECOND_DEVICE) + "\n"
    )


#: A CRM contact whose only version states consent at a time after the first night's newest activity.
AHEAD_CONTACT = "C-AHEAD-1"


def _add_consent_stated_ahead(landing: Path, night: str, stated_on: str) -> None:
    """A CRM contact landed tonight whose opt-in is dated later than tonight's newest web or till
    activity (the as-of time; the sample's last till sales of the 29th are past midnight UTC):
    left out tonight, it counts once the as-of time has passed it, on a night that brings nothing
    else of its customer."""
    (landing / "crm" / f"contacts_{night}_ahead.csv").write_text(
        "contact_id,first_name,last_name,email,phone,street,city,postal_code,country,birth_date,loyalty_id,"
        "email_opt_in,sms_opt_in,created_at,updated_at\n"
        f"{AHEAD_CONTACT},Zyxqa,Aheadcase,zyxqa.aheadcase@example.com,,,,,,,,true,0,"
        f"2026-01-01T00:00:00+00:00,{stated_on}T12:00:00+00:00\n"
    )


def _web_emails(landing: Path) -> set[str]:
    """The e-mails the identify calls of the landed web events carry, trimmed and lower-cased (the
    sample's malformed lines, which the extract rejects, are skipped)."""
    emails = set()
    for path in sorted((landing / "web").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            traits = event.get("traits") if isinstance(event, dict) else None
            if isinstance(traits, dict) and isinstance(traits.get("email"), str):
                emails.add(traits["email"].strip().lower())
    return emails


def _add_erasure_request(landing: Path, night: str) -> str:
    """Erase the first CRM contact of the first export (loaded by the first run) whose e-mail an
    identify call also carries, so the erasure reaches the web events' deduplication too."""
    web_emails = _web_emails(landing)
    with open(landing / "crm" / "contacts_2026-01-01.csv", newline="", encoding="utf-8") as export:
        email = next(row["email"] for row in csv.DictReader(export)
                     if "@" in (row["email"] or "") and row["email"].strip().lower() in web_emails)
    erasure = landing / "erasure"
    erasure.mkdir(exist_ok=True)
    (erasure / f"requests_{night}.csv").write_text(
        f"request_id,email,phone,customer_id,country,requested_at\nR-INC-1,{email},,,,{night}T08:00:00Z\n"
    )
    return email.strip().lower()


def _tables(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[str]]:
    rows = conn.execute(
        """select table_schema || '.' || table_name, list(column_name order by ordinal_position)
           from information_schema.columns
           where table_catalog = ? and table_schema in ? group by all""",
        [catalog, list(COMPARED_SCHEMAS)],
    ).fetchall()
    return {name: [c for c in columns if c not in BOOKKEEPING_COLUMNS] for name, columns in rows}


def _differences(incremental: Path, rebuilt: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows, rows only in the incremental result, rows only in the rebuilt one)."""
    with duckdb.connect() as conn:
        conn.execute(f"attach '{work_database_of(incremental)}' as incremental (read_only)")
        conn.execute(f"attach '{work_database_of(rebuilt)}' as rebuilt (read_only)")
        incremental_tables, rebuilt_tables = _tables(conn, "incremental"), _tables(conn, "rebuilt")
        assert incremental_tables == rebuilt_tables
        found = {}
        for table, columns in sorted(incremental_tables.items()):
            select = ", ".join(f'"{c}"' for c in columns)
            a, b = f"incremental.{table}", f"rebuilt.{table}"
            found[table] = (
                conn.execute(f"select count(*) from {a}").fetchone()[0],
                conn.execute(f"select count(*) from (select {select} from {a} except all select {select} from {b})").fetchone()[0],
                conn.execute(f"select count(*) from (select {select} from {b} except all select {select} from {a})").fetchone()[0],
            )
    return found


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    shutil.copytree(SAMPLE_LANDING_DIR, landing)
    _hold_back(landing, root / "held_back")
    incremental = root / "incremental" / "cdp.duckdb"
    _run(landing, incremental)
    # the same warehouse, registry and releases, to be rebuilt instead
    shutil.copytree(incremental.parent, root / "rebuilt", symlinks=True)
    rebuilt = root / "rebuilt" / "cdp.duckdb"

    first_night, second_night = NIGHTS
    _release(landing, root / "held_back" / first_night)
    _add_late_deliveries(landing, first_night)
    _add_server_call(landing, first_night)
    _add_consent_stated_ahead(landing, first_night, stated_on=second_night)
    erased_email = _add_erasure_request(landing, first_night)
    _run(landing, incremental)
    _run(landing, rebuilt, "--full-refresh")

    _release(landing, root / "held_back" / second_night)
    moved = _add_event_moved_to_another_device(landing, second_night)
    _add_later_session_on_another_device(landing, second_night)
    _run(landing, incremental)
    _run(landing, rebuilt, "--full-refresh")
    return {"incremental": incremental, "rebuilt": rebuilt, "erased_email": erased_email, "moved": moved}


def test_every_table_equals_a_full_rebuild(warehouses) -> None:
    differences = _differences(warehouses["incremental"], warehouses["rebuilt"])
    assert len(differences) > 25  # every layer was compared
    unequal = {table: counts for table, counts in differences.items() if counts[1] or counts[2]}
    assert unequal == {}, f"tables that differ (rows, only incremental, only rebuilt): {unequal}"


def test_the_patched_release_equals_the_rebuilt_one(warehouses) -> None:
    """The second night (no erasure) patched the previous release's customer_records instead of
    writing it again (publishing/release.py); both published files equal the rebuilt deployment's,
    which its full refresh wrote whole."""
    releases = {name: Layout(Path(warehouses[name]), Path(warehouses[name]).parent / "exports").current_release
                for name in ("incremental", "rebuilt")}
    manifests = {name: json.loads((path / "release.json").read_text()) for name, path in releases.items()}
    assert manifests["incremental"]["patches_in_a_row"] == 1 and manifests["rebuilt"]["patches_in_a_row"] == 1
    for database in ("cdp.duckdb", "cdp_pii.duckdb"):
        with duckdb.connect() as conn:
            conn.execute(f"attach '{releases['incremental'] / database}' as incremental (read_only)")
            conn.execute(f"attach '{releases['rebuilt'] / database}' as rebuilt (read_only)")
            tables = _tables(conn, "incremental")
            assert tables == _tables(conn, "rebuilt") and "marts.customer_records" in tables
            for table, columns in tables.items():
                select = ", ".join(f'"{c}"' for c in columns)
                only = conn.execute(
                    f"""select count(*) from (
                            (select {select} from incremental.{table} except all select {select} from rebuilt.{table})
                            union all
                            (select {select} from rebuilt.{table} except all select {select} from incremental.{table}))"""
                ).fetchone()[0]
                assert only == 0, f"{database} {table} differs"


def test_the_incremental_run_saw_what_it_must_handle(warehouses) -> None:
    with duckdb.connect(str(work_database_of(warehouses["incremental"])), read_only=True) as conn:
        # the earlier-received re-deliveries replaced the first copies
        assert conn.execute(
            "select count(*) from intermediate.int_web__events_deduplicated where received_at = '2025-12-31'"
        ).fetchone()[0] > 0
        assert conn.execute(
            "select max(copies_landed) from intermediate.int_pos__transactions_deduplicated"
        ).fetchone()[0] >= 2
        # the second night recomputed some devices' sessions and kept the others as built before
        assert conn.execute("select count(distinct _loaded_at) from intermediate.int_web__sessions").fetchone()[0] > 1
        # the second night rewrote only the changed records' customers (cdp_changed_records.sql),
        # among them records it did not rebuild, whose anchor node moved to another customer
        second_night_loads = conn.execute(
            "select min(_loaded_at) from raw.web_events where _source_file like ?", [f"%{NIGHTS[1]}%"]
        ).fetchone()[0]
        rewritten, kept, rewritten_not_rebuilt = conn.execute(
            """with last_build as (select built_at from main.cdp_incremental_builds where model = 'customer_records'),
                    records as (
                        select 'crm' as source, contact_id as record_key, _loaded_at from intermediate.int_crm__contacts_latest
                        union all select 'pos', transaction_id, _loaded_at from intermediate.int_pos__transactions_deduplicated
                        union all select 'web', message_id, _loaded_at from intermediate.int_identity__web_event_groups)
               select count(*) filter (where r._built_at = b.built_at), count(*) filter (where r._built_at <> b.built_at),
                      count(*) filter (where r._built_at = b.built_at and records._loaded_at < ?)
               from marts.customer_records as r cross join last_build as b
               inner join records using (source, record_key)""",
            [second_night_loads],
        ).fetchone()
        assert 0 < rewritten < kept and rewritten_not_rebuilt > 0
        # its uniqueness test is scoped by the rows' build (meta cdp_row_stamp), and marked with it
        assert conn.execute(
            """select max(tested_through) from main.cdp_tested_loads
               where test_id like 'test.cdp.unique_combination_of_columns_customer_records_%'"""
        ).fetchone()[0] == conn.execute(
            "select built_at from main.cdp_incremental_builds where model = 'customer_records'"
        ).fetchone()[0]
        # ... and only the profiles, orders and sessions that changed: new calls, sales or
        # sessions, a record customer_records rewrote, a customer that gained or lost a record
        for mart in ("customers", "customer_consent", "customer_orders", "web_sessions"):
            assert conn.execute(
                f"""select count(*) filter (where m._built_at = b.built_at) between 1 and count(*) / 2
                    from marts.{mart} as m
                    cross join (select built_at from main.cdp_incremental_builds where model = '{mart}') as b"""
            ).fetchone()[0], mart
        # the consent stated ahead of the first night's as-of time counts after the second night
        assert conn.execute(
            """select consent.email_consent from marts.customer_consent as consent
               inner join marts.customer_records as records using (customer_id)
               where records.source = 'crm' and records.record_key = ?""",
            [AHEAD_CONTACT],
        ).fetchone()[0] is True
        # the event re-delivered from another device moved to that device's sessions
        message_id, _old_device, new_device = warehouses["moved"]
        assert conn.execute(
            "select anonymous_id from intermediate.int_web__events_deduplicated where message_id = ?", [message_id]
        ).fetchone()[0] == new_device
        # the server-side call moved to the later session, on the device that received an event tonight
        assert conn.execute(
            "select anonymous_id, events, orders from intermediate.int_web__sessions where anonymous_id in (?, ?) order by 1",
            [FIRST_DEVICE, SECOND_DEVICE],
        ).fetchall() == [(FIRST_DEVICE, 1, 0), (SECOND_DEVICE, 2, 1)]
        # the erased person's CRM contact and web events are gone from every built table, and
        # the web deduplication's decisions about them with them
        for table in ("staging.stg_crm__contacts", "intermediate.int_crm__contacts_latest",
                      "staging.stg_web__events", "intermediate.int_web__events_deduplicated"):
            assert conn.execute(f"select count(*) from {table} where email = ?", [warehouses["erased_email"]]).fetchone()[0] == 0
        assert conn.execute(
            """select count(*) from intermediate.int_web__repeated_deliveries
               where message_id not in (select message_id from staging.stg_web__events)"""
        ).fetchone()[0] == 0


def test_an_incremental_model_whose_columns_changed_stops_the_run_until_a_full_refresh(warehouses, tmp_path: Path) -> None:
    """An upgrade that drops a column from an incremental model (simulated by a column the stored
    table has and the model does not) fails the run with dbt's schema error and publishes nothing;
    ``--full-refresh`` rebuilds the table with the model's columns."""
    root = tmp_path / "deployment"
    shutil.copytree(Path(warehouses["rebuilt"]).parent, root, symlinks=True)
    warehouse = root / "cdp.duckdb"
    layout = Layout(warehouse, root / "exports")
    published = published_run_id(layout)
    with duckdb.connect(str(work_database_of(warehouse))) as conn:
        conn.execute("alter table staging.stg_web__events add column ip_address varchar")

    assert cli.main(["--landing-dir", str(SAMPLE_LANDING_DIR), "--warehouse", str(warehouse)]) != 0
    assert published_run_id(layout) == published
    log = (root / "logs" / "last_run.log").read_text()
    assert "stg_web__events" in log and "out of sync" in log and "full_refresh" in log

    _run(SAMPLE_LANDING_DIR, warehouse, "--full-refresh")
    assert published_run_id(layout) != published
    with duckdb.connect(str(work_database_of(warehouse)), read_only=True) as conn:
        columns = [c[0] for c in conn.execute("describe staging.stg_web__events").fetchall()]
    assert "ip_address" not in columns


def _customer_records(warehouse: Path) -> tuple[set[tuple], dict[object, int], object]:
    """customer_records' rows (without when they were written and the customer they replaced),
    rows per build that wrote them, and when its last build started."""
    with duckdb.connect(str(work_database_of(warehouse)), read_only=True) as conn:
        rows = set(conn.execute("select * exclude (_built_at, _previous_customer_id) from marts.customer_records").fetchall())
        per_build = dict(conn.execute("select _built_at, count(*) from marts.customer_records group by all").fetchall())
        last_build = conn.execute(
            "select built_at from main.cdp_incremental_builds where model = 'customer_records'"
        ).fetchone()[0]
    return rows, per_build, last_build


def test_customer_records_is_rebuilt_when_the_registry_remembers_another_run(warehouses, tmp_path: Path) -> None:
    """customer_records finds its changed records by comparing nodes with the ids the registry
    remembers, which is only right if the registry was written by the run that last built it. A
    night without new data rewrites no row; once its recorded build names another run (as after a
    run that failed between the two), the next night rebuilds it from every record, to the same rows."""
    root = tmp_path / "deployment"
    shutil.copytree(Path(warehouses["incremental"]).parent, root, symlinks=True)
    warehouse = root / "cdp.duckdb"
    rows, _, _ = _customer_records(warehouse)

    _run(SAMPLE_LANDING_DIR, warehouse)
    quiet_rows, quiet_builds, quiet_build = _customer_records(warehouse)
    assert quiet_rows == rows and quiet_build not in quiet_builds
    with duckdb.connect(str(work_database_of(warehouse)), read_only=True) as conn:  # nor any profile or consent
        for mart in ("customers", "customer_consent"):
            assert conn.execute(f"select count(*) from marts.{mart} where _built_at = ?", [quiet_build]).fetchone()[0] == 0, mart

    with duckdb.connect(str(work_database_of(warehouse))) as conn:
        conn.execute("update main.cdp_incremental_builds set run_id = 'another-run' where model = 'customer_records'")
    _run(SAMPLE_LANDING_DIR, warehouse)
    rebuilt_rows, rebuilt_builds, rebuilt_build = _customer_records(warehouse)
    assert rebuilt_rows == rows and rebuilt_builds == {rebuilt_build: len(rows)}
