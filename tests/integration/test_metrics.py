"""The customer metrics mart (dbt/models/marts/metrics), built by the real pipeline on the sample.

A private copy of the bundled sample gets two small extra landing files describing one invented
customer whose answers are known by construction (the "tester"):

- a CRM contact with e-mail and SMS opt-ins stated on 2026-01-12;
- a web user (same e-mail) on two devices: on device A, pages 20 min, exactly 30 min and then
  30 min 1 s apart (one session split), an order tracked twice (two messageIds, one order_id)
  and a server-side order (no anonymousId) a few minutes later; on device B the consent calls:
  a cookie-banner answer (Segment's own event), an SMS opt-out *before* the CRM statement, an
  e-mail opt-out *after* it, and a later `Consent Updated` without an ads answer.

Everything else is checked over the whole sample against the source tables.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.publishing.layout import work_database_of
from dagster_project import run as cli

pytestmark = pytest.mark.integration

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt" / "dbt_project.yml"

USER_ID = "UTEST0001"
DEVICE_A = "0000aaaa-0000-4000-8000-00000000000a"
DEVICE_B = "0000bbbb-0000-4000-8000-00000000000b"
EMAIL = "zora.quillfeather@fastmail.com"
CONTACT_ID = "CTEST0001"

CRM_HEADER = (
    "contact_id,first_name,last_name,email,phone,street,city,postal_code,country,birth_date,"
    "loyalty_id,email_opt_in,sms_opt_in,created_at,updated_at"
)
CRM_ROW = (
    f"{CONTACT_ID},Zora,Quillfeather,{EMAIL},,,,,GB,1990-04-02,,true,true,"
    "2025-06-01T10:00:00Z,2026-01-12T09:00:00Z"
)


def _event(message_id: str, at: str, kind: str = "page", anonymous_id: str | None = DEVICE_A,
           user_id: str | None = USER_ID, **fields: object) -> str:
    event: dict[str, object] = {"type": kind, **fields, "messageId": message_id}
    if anonymous_id:
        event["anonymousId"] = anonymous_id
    if user_id:
        event["userId"] = user_id
    event.setdefault("context", {"library": {"name": "analytics.js", "version": "3.2.1"}})
    event["timestamp"] = at
    return json.dumps(event)


def _page(message_id: str, at: str, path: str) -> str:
    return _event(message_id, at, name="Home", context={"page": {"path": path, "url": "https://shop.test" + path}})


def _order(message_id: str, at: str, order_id: str, anonymous_id: str | None = DEVICE_A) -> str:
    properties = {
        "order_id": order_id, "revenue": 100.0, "currency": "GBP",
        "products": [{"product_id": "p1", "price": 30.0, "quantity": 2}, {"product_id": "p2", "price": 40.0, "quantity": 1}],
    }
    return _event(message_id, at, "track", anonymous_id=anonymous_id, event="Order Completed", properties=properties)


def _consent(message_id: str, at: str, **answers: bool) -> str:
    return _event(message_id, at, "track", anonymous_id=DEVICE_B, event="Consent Updated", properties=answers)


TEST_EVENTS = [
    # device A: 10:00, 10:20, 10:50 (exactly 30 min: same session), 11:20:01 (30 min 1 s: new session)
    _page("test-a-1", "2026-01-10T10:00:00Z", "/"),
    _event("test-a-identify", "2026-01-10T10:00:30Z", "identify", traits={"email": EMAIL}),
    _page("test-a-2", "2026-01-10T10:20:00Z", "/c/boots"),
    _page("test-a-3", "2026-01-10T10:50:00Z", "/p/trail-tee"),
    _page("test-a-4", "2026-01-10T11:20:01Z", "/search"),
    _order("test-a-order", "2026-01-10T11:25:00Z", "OTEST0001"),
    _order("test-a-order-again", "2026-01-10T11:25:02Z", "OTEST0001"),  # the same order tracked twice
    _order("test-server-order", "2026-01-10T11:40:00Z", "OTEST0002", anonymous_id=None),  # from the backend
    # device B: consent
    _event("test-b-banner", "2026-01-03T08:00:00Z", "track", anonymous_id=DEVICE_B, user_id=None,
           event="Segment Consent Preference Updated", properties={},
           context={"consent": {"categoryPreferences": {"Necessary": True, "Advertising": True, "Analytics": False}}}),
    _event("test-b-identify", "2026-01-03T08:01:00Z", "identify", anonymous_id=DEVICE_B, traits={"email": EMAIL}),
    _consent("test-b-sms-off", "2026-01-05T12:00:00Z", sms=False),  # before the CRM's sms=true: CRM wins
    _consent("test-b-email-off", "2026-01-15T12:00:00Z", email=False),  # after the CRM's email=true: web wins
    _consent("test-b-no-ads", "2026-01-20T12:00:00Z", email=False),  # says nothing about ads
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """The pipeline run once on the sample plus the tester's files: its exit code and warehouse."""
    from dagster_project.settings import SAMPLE_LANDING_DIR

    root = tmp_path_factory.mktemp("metrics")
    landing = root / "landing"
    shutil.copytree(SAMPLE_LANDING_DIR, landing)
    (landing / "web" / "events_zz_metrics_test.jsonl").write_text("\n".join(TEST_EVENTS) + "\n", encoding="utf-8")
    (landing / "crm" / "contacts_zz_metrics_test.csv").write_text(f"{CRM_HEADER}\n{CRM_ROW}\n", encoding="utf-8")
    path = root / "warehouse" / "cdp.duckdb"
    code = cli.main(["--landing-dir", str(landing), "--warehouse", str(path),
                     "--identity-registry", str(root / "warehouse" / "registry.duckdb")])
    return code, path


@pytest.fixture
def conn(built: tuple[int, Path]):
    """A read-only connection to the warehouse the run left (whatever became of later steps)."""
    with duckdb.connect(str(work_database_of(built[1])), read_only=True) as connection:
        yield connection


def test_the_run_succeeds(built: tuple[int, Path]) -> None:
    assert built[0] == 0


def _tester(conn: duckdb.DuckDBPyConnection) -> str:
    rows = conn.execute(
        """select distinct customer_id from marts.customer_records
           where (source = 'crm' and record_key = ?) or (source = 'web' and record_key like 'test-%')""",
        [CONTACT_ID],
    ).fetchall()
    assert len(rows) == 1, f"the tester's records should resolve to one customer, got {rows}"
    return rows[0][0]


def test_sessions_split_after_more_than_the_inactivity_window(conn) -> None:
    sessions = conn.execute(
        """select session_number, started_at, ended_at, events, page_views, landing_page, orders, has_order
           from marts.web_sessions where anonymous_id = ? order by session_number""",
        [DEVICE_A],
    ).fetchall()
    assert [(s[0], str(s[1]), s[4], s[5]) for s in sessions] == [
        (1, "2026-01-10 10:00:00", 3, "/"),  # 10:00, 10:20 and 10:50 (a gap of exactly 30 min stays)
        (2, "2026-01-10 11:20:01", 1, "/search"),  # 30 min 1 s after 10:50
    ]
    first, second = sessions
    assert str(first[2]) == "2026-01-10 10:50:00" and first[3] == 4 and not first[7]
    # the device's order (tracked twice, one order) and the backend's order both belong to session 2
    assert second[6] == 2 and second[7]
    assert str(second[2]) == "2026-01-10 11:40:00"


def test_a_server_side_call_can_be_the_sessions_last_event(conn) -> None:
    """The backend's order (11:40) joins device A's second session after its last device event
    (11:25:02): the session's last event, and so its customer, comes from the call."""
    last = conn.execute(
        "select last_message_id from intermediate.int_web__sessions where anonymous_id = ? and session_number = 2",
        [DEVICE_A],
    ).fetchall()
    assert last == [("test-server-order",)]


def test_sessions_cover_every_device_event_once_and_are_more_than_the_window_apart(conn) -> None:
    device_events, server_events, in_sessions = conn.execute(
        """select
               count(*) filter (where anonymous_id is not null),
               count(*) filter (where anonymous_id is null and user_id is not null),
               (select sum(events) from marts.web_sessions)
           from intermediate.int_web__events_deduplicated"""
    ).fetchone()
    # every device event is in exactly one session; server-side calls join one at most
    assert device_events <= in_sessions <= device_events + server_events
    # consecutive sessions of a device are more than 30 minutes apart
    overlaps = conn.execute(
        """select count(*) from (
               select started_at, lag(ended_at) over (partition by anonymous_id order by started_at) as previous_end
               from marts.web_sessions
               where anonymous_id is not null
           ) where previous_end is not null and started_at <= previous_end + interval 30 minute"""
    ).fetchone()[0]
    assert overlaps == 0
    assert conn.execute("select count(*) = count(distinct session_id) from marts.web_sessions").fetchone()[0]


def test_orders_deduplicate_a_web_order_tracked_twice(conn) -> None:
    rows = conn.execute(
        "select order_id, times_tracked, item_count, revenue, currency from marts.customer_orders where order_id like 'OTEST%' order by 1"
    ).fetchall()
    assert rows == [("OTEST0001", 2, 3, Decimal("100.00"), "GBP"), ("OTEST0002", 1, 3, Decimal("100.00"), "GBP")]


def test_order_totals_per_customer_equal_the_source_tables(conn) -> None:
    rates = yaml.safe_load(DBT_PROJECT.read_text())["vars"]["metrics_exchange_rates"]
    conn.execute("create temp table rates (currency varchar, rate decimal(18, 6))")
    conn.executemany("insert into rates values (?, ?)", list(rates.items()))
    mismatches = conn.execute(
        """
        with web as (
            select distinct on (coalesce(e.order_id, e.message_id)) r.customer_id, e.revenue, e.currency
            from intermediate.int_web__events_deduplicated e
            join marts.customer_records r on r.source = 'web' and r.record_key = e.message_id
            where e.event_type = 'track' and e.event_name = 'Order Completed'
            order by coalesce(e.order_id, e.message_id), e.event_at, e.message_id
        ),
        pos as (
            select r.customer_id, p.amount as revenue, p.currency
            from intermediate.int_pos__transactions_deduplicated p
            join marts.customer_records r on r.source = 'pos' and r.record_key = p.transaction_id
        ),
        expected as (
            select customer_id,
                   count(*) filter (where channel = 'web') as web_orders,
                   count(*) filter (where channel = 'pos') as pos_orders,
                   coalesce(sum(round(revenue * rate, 2)) filter (where channel = 'web'), 0) as web_revenue,
                   coalesce(sum(round(revenue * rate, 2)) filter (where channel = 'pos'), 0) as pos_revenue
            from (select *, 'web' as channel from web union all select *, 'pos' as channel from pos) o
            join rates using (currency)
            group by customer_id
        )
        select m.customer_id, m.web_orders, e.web_orders, m.pos_orders, e.pos_orders, m.web_revenue, e.web_revenue,
               m.pos_revenue, e.pos_revenue
        from marts.customer_metrics m
        left join expected e using (customer_id)
        where m.web_orders <> coalesce(e.web_orders, 0) or m.pos_orders <> coalesce(e.pos_orders, 0)
           or abs(m.web_revenue - coalesce(e.web_revenue, 0)) > 0.005
           or abs(m.pos_revenue - coalesce(e.pos_revenue, 0)) > 0.005
           or m.total_orders <> m.web_orders + m.pos_orders
           or m.lifetime_value <> m.web_revenue + m.pos_revenue
        """
    ).fetchall()
    assert mismatches == []
    totals = conn.execute(
        """select (select count(*) from marts.customer_metrics), (select count(*) from marts.customers),
                  (select sum(total_orders) from marts.customer_metrics), (select count(*) from marts.customer_orders)"""
    ).fetchone()
    assert totals[0] == totals[1] and totals[2] == totals[3] > 4000


def test_the_testers_metrics(conn) -> None:
    customer_id = _tester(conn)
    row = conn.execute(
        """select web_orders, pos_orders, web_revenue, preferred_channel, web_sessions, last_web_visit_at,
                  days_since_last_purchase, as_of_at
           from marts.customer_metrics where customer_id = ?""",
        [customer_id],
    ).fetchone()
    rate = Decimal(str(yaml.safe_load(DBT_PROJECT.read_text())["vars"]["metrics_exchange_rates"]["GBP"]))
    assert row[0] == 2 and row[1] == 0 and row[2] == 2 * round(Decimal("100.00") * rate, 2)
    assert row[3] == "web"
    assert row[4] == 6  # two on device A; on device B the banner + identify, then three single calls days apart
    assert str(row[5]) == "2026-01-20 12:00:00"
    assert row[6] == (row[7].date() - date(2026, 1, 10)).days  # last purchase: the backend's order on 01-10


def test_consent_latest_statement_wins_across_crm_and_web(conn) -> None:
    customer_id = _tester(conn)
    row = conn.execute(
        """select email_consent, email_consent_source, email_consent_at,
                  sms_consent, sms_consent_source, sms_consent_at,
                  ads_consent, ads_consent_source, ads_consent_at, ads_consent_record_key
           from marts.customer_consent where customer_id = ?""",
        [customer_id],
    ).fetchone()
    # e-mail: CRM true on 01-12, web false on 01-15 and 01-20 -> the latest web statement
    assert row[:3] == (False, "web", row[2]) and str(row[2]) == "2026-01-20 12:00:00"
    # sms: web false on 01-05, CRM true on 01-12 -> the CRM
    assert row[3:6] == (True, "crm", row[5]) and str(row[5]) == "2026-01-12 09:00:00"
    # ads: only the cookie banner (Segment's event) spoke; the later calls without ads change nothing
    assert row[6:8] == (True, "web") and str(row[8]) == "2026-01-03 08:00:00" and row[9] == "test-b-banner"
    metrics = conn.execute(
        "select email_consent, sms_consent, ads_consent, ads_consent_source from marts.customer_metrics where customer_id = ?",
        [customer_id],
    ).fetchone()
    assert metrics == (False, True, True, "web")


def test_no_statement_means_not_consented_and_every_customer_has_a_row(conn) -> None:
    customers, rows, silent_true, sources = conn.execute(
        """select (select count(*) from marts.customers), count(*),
                  count(*) filter (where (email_consent and email_consent_source is null)
                                      or (sms_consent and sms_consent_source is null)
                                      or (ads_consent and ads_consent_source is null)),
                  count(distinct email_consent_source) + count(distinct ads_consent_source)
           from marts.customer_consent"""
    ).fetchone()
    assert customers == rows and silent_true == 0 and sources == 3  # crm, web for e-mail; web for ads
    # the generated sample's consent calls reach the mart
    web_ads = conn.execute("select count(*) from marts.customer_consent where ads_consent_source = 'web'").fetchone()[0]
    assert web_ads > 500


def test_rfm_scores_are_quintiles_of_purchasers_only(conn) -> None:
    bad = conn.execute(
        """select count(*) from marts.customer_metrics
           where case when total_orders > 0
                      then not (recency_score between 1 and 5 and frequency_score between 1 and 5
                                and monetary_score between 1 and 5
                                and rfm_score = concat(recency_score, frequency_score, monetary_score))
                      else coalesce(recency_score, frequency_score, monetary_score) is not null
                           or rfm_score is not null or preferred_channel is not null
                           or days_since_last_purchase is not null
                 end"""
    ).fetchone()[0]
    assert bad == 0
    # 5 = best: the most recent buyers score 5, equal measures share a score
    by_score = conn.execute(
        """select recency_score, min(last_purchase_at), max(last_purchase_at), count(*)
           from marts.customer_metrics where recency_score is not null group by 1 order by 1"""
    ).fetchall()
    assert [r[0] for r in by_score] == [1, 2, 3, 4, 5]
    assert all(lower[2] <= higher[1] for lower, higher in zip(by_score, by_score[1:]))
    shared = conn.execute(
        """select count(*) from (select total_orders from marts.customer_metrics where total_orders > 0
                                 group by 1 having count(distinct frequency_score) > 1)"""
    ).fetchone()[0]
    assert shared == 0


def test_as_of_is_the_latest_activity_in_the_data(conn) -> None:
    as_of, latest = conn.execute(
        """select (select as_of_at from marts.metrics_as_of),
                  greatest((select max(event_at) from intermediate.int_web__events_deduplicated),
                           (select max(transaction_at) from intermediate.int_pos__transactions_deduplicated))"""
    ).fetchone()
    assert as_of == latest and as_of.year == 2026 and as_of.month == 1
    assert conn.execute("select max(days_since_last_purchase) from marts.customer_metrics").fetchone()[0] <= 31
