"""Identity resolution rules on small hand-made sources: each scenario asserts one rule."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.publishing.layout import work_database_of
from dagster_project.contracts import CRM_CONTACTS, POS_TRANSACTIONS
from dagster_project.definitions import defs

pytestmark = pytest.mark.integration

CONTACT_DEFAULTS = {
    "street": "", "city": "", "postal_code": "", "country": "GB", "birth_date": "", "loyalty_id": "",
    "email_opt_in": "yes", "sms_opt_in": "no", "created_at": "2026-01-01T09:00:00Z", "updated_at": "2026-01-01T09:00:00Z",
}

CONTACTS = [
    # malformed e-mail shared by two people: never a link
    {"contact_id": "M1", "first_name": "Mia", "last_name": "Stone", "email": "mia-at-example.org", "phone": ""},
    {"contact_id": "M2", "first_name": "Max", "last_name": "Reed", "email": "mia-at-example.org", "phone": ""},
    # blocklisted placeholder e-mail: never a link
    {"contact_id": "B1", "first_name": "Ben", "last_name": "Hill", "email": "test@test.com", "phone": ""},
    {"contact_id": "B2", "first_name": "Bea", "last_name": "Ford", "email": "test@test.com", "phone": ""},
    # a household landline given under two first names: shared, never a link
    {"contact_id": "H1", "first_name": "Hugo", "last_name": "Lane", "email": "hugo.lane@gmail.com", "phone": "0121 496 0000"},
    {"contact_id": "H2", "first_name": "Hanna", "last_name": "Lane", "email": "hanna.lane@gmail.com", "phone": "+44 121 496 0000"},
    # the same person twice, the second with a typo in the e-mail and nothing else shared
    {"contact_id": "T1", "first_name": "Tessa", "last_name": "Quill", "email": "tessa.quill@outlook.com", "phone": "",
     "birth_date": "1984-03-02", "postal_code": "LS1 4AP"},
    {"contact_id": "T2", "first_name": "Tessa", "last_name": "Quill", "email": "tessa.qiull@outlook.com", "phone": ""},
    # namesakes: same name and postcode, different birth dates: two people
    {"contact_id": "N1", "first_name": "Noah", "last_name": "Vale", "email": "noah.vale@gmail.com", "phone": "",
     "birth_date": "1970-01-01", "postal_code": "M1 1AE"},
    {"contact_id": "N2", "first_name": "Noah", "last_name": "Vale", "email": "nvale@yahoo.co.uk", "phone": "",
     "birth_date": "1999-09-09", "postal_code": "M1 1AE"},
    # a phone in two national formats: one link
    {"contact_id": "P1", "first_name": "Pia", "last_name": "Moss", "email": "", "phone": "07700 900 461"},
    {"contact_id": "P2", "first_name": "Pia", "last_name": "Moss", "email": "", "phone": "+44 7700 900461"},
    # a US number, read with the contact's country
    {"contact_id": "U1", "first_name": "Uma", "last_name": "Rowe", "email": "", "phone": "(415) 555-0123",
     "country": "US"},
]

EVENTS = [
    # one browser, two accounts: a shared computer, so the cookie links neither account
    {"messageId": "e1", "type": "identify", "anonymousId": "shared-pc", "userId": "U1", "traits": {"email": "hugo.lane@gmail.com"}},
    {"messageId": "e2", "type": "identify", "anonymousId": "shared-pc", "userId": "U2", "traits": {"email": "hanna.lane@gmail.com"}},
    {"messageId": "e3", "type": "page", "anonymousId": "shared-pc", "name": "Home"},
    # ... and a second anonymous view on it: the same identifiers as e3, none of them usable
    {"messageId": "e6", "type": "page", "anonymousId": "shared-pc", "name": "Basket"},
    # a visitor who never identifies: their own anonymous profile
    {"messageId": "e4", "type": "page", "anonymousId": "lurker", "name": "Home"},
    {"messageId": "e5", "type": "track", "anonymousId": "lurker", "event": "Product Viewed"},
    # an alias call whose previousId is its own anonymousId, as most are: one identifier, not two
    {"messageId": "e7", "type": "alias", "anonymousId": "returning", "previousId": "returning", "userId": "U3"},
    # an account id with colons in it: values are read back from "<type>:<value>" node keys
    {"messageId": "e8", "type": "identify", "anonymousId": "tablet-9", "userId": "oauth:google:U9"},
]

SALES = [
    # a cash sale with nothing on it: its own profile, not glued to anyone
    {"transaction_id": "S1"},
    {"transaction_id": "S2"},
    # a phone at the till, in national format: the store country reads it, linking it to Pia
    {"transaction_id": "S3", "phone": "07700 900461"},
    # the same US number at a US till, written with the "00" prefix Europeans dial (not the US 011)
    {"transaction_id": "S4", "phone": "001 415 555 0123", "store_id": "S021", "currency": "USD", "country": "US"},
]


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    lines = [",".join(columns)] + [",".join(row.get(column, "") for column in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n")


def _write_sources(landing: Path) -> None:
    for folder in ("crm", "web", "pos"):
        (landing / folder).mkdir(parents=True)
    _write_csv(landing / "crm" / "contacts.csv", CRM_CONTACTS.column_names,
               [{**CONTACT_DEFAULTS, **contact} for contact in CONTACTS])
    events = [{"timestamp": "2026-01-02T10:00:00Z", **event} for event in EVENTS]
    (landing / "web" / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    sale_defaults = {"store_id": "S001", "transaction_at": "2026-01-03T12:00:00+00:00", "amount": "9.99",
                     "currency": "GBP", "country": "GB"}
    _write_csv(landing / "pos" / "sales.csv", POS_TRANSACTIONS.column_names,
               [{**sale_defaults, **sale} for sale in SALES])


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("identity_rules")
    _write_sources(root / "landing")
    warehouse = root / "cdp.duckdb"
    result = defs.resolve_job_def("cdp_pipeline").execute_in_process(
        run_config={"resources": {"warehouse": {"config": {
            "warehouse_path": str(warehouse), "landing_dir": str(root / "landing"),
            "identity_registry_path": str(root / "registry.duckdb"),
        }}}},
        raise_on_error=False,
    )
    assert result.success
    conn = duckdb.connect(str(work_database_of(warehouse)), read_only=True)
    yield conn, result
    conn.close()


def _customer(conn: duckdb.DuckDBPyConnection, source: str, key: str) -> str:
    return conn.execute(
        "select customer_id from marts.customer_records where source = ? and record_key = ?", [source, key]
    ).fetchone()[0]


def _same(conn, a: tuple[str, str], b: tuple[str, str]) -> bool:
    return _customer(conn, *a) == _customer(conn, *b)


def _exclusions(conn, value: str) -> set[str]:
    rows = conn.execute(
        "select exclusion from intermediate.int_identity__excluded_identifiers where identifier_value = ?", [value]
    ).fetchall()
    return {row[0] for row in rows}


def test_malformed_identifiers_never_link_and_are_counted(resolved) -> None:
    conn, _ = resolved
    assert not _same(conn, ("crm", "M1"), ("crm", "M2"))
    assert _exclusions(conn, "mia-at-example.org") == {"malformed"}
    records = conn.execute(
        "select records from intermediate.int_identity__excluded_identifiers where identifier_value = 'mia-at-example.org'"
    ).fetchone()[0]
    assert records == 2


def test_blocklisted_values_never_link(resolved) -> None:
    conn, _ = resolved
    assert not _same(conn, ("crm", "B1"), ("crm", "B2"))
    assert "blocklisted" in _exclusions(conn, "test@test.com")


def test_a_phone_given_under_two_first_names_is_shared(resolved) -> None:
    conn, _ = resolved
    assert not _same(conn, ("crm", "H1"), ("crm", "H2"))
    assert "shared" in _exclusions(conn, "+441214960000")


def test_a_browser_used_by_two_accounts_links_neither(resolved) -> None:
    conn, _ = resolved
    assert "shared" in _exclusions(conn, "shared-pc")
    assert not _same(conn, ("web", "e1"), ("web", "e2"))
    # each login still reaches its CRM contact through the e-mail in the identify traits
    assert _same(conn, ("web", "e1"), ("crm", "H1"))
    assert _same(conn, ("web", "e2"), ("crm", "H2"))


def test_an_email_typo_is_matched_fuzzily_and_recorded(resolved) -> None:
    conn, _ = resolved
    assert _same(conn, ("crm", "T1"), ("crm", "T2"))
    rule, evidence = conn.execute(
        """select rule, evidence_record_key from intermediate.int_identity__links
           where rule like 'fuzzy:%' and node_a = 'crm_contact_id:T1' and node_b = 'crm_contact_id:T2'"""
    ).fetchone()
    assert rule == "fuzzy:name_email" and evidence == "T1"


def test_namesakes_with_different_birth_dates_stay_apart(resolved) -> None:
    conn, _ = resolved
    assert not _same(conn, ("crm", "N1"), ("crm", "N2"))


def test_phone_formats_normalise_to_one_link(resolved) -> None:
    conn, _ = resolved
    assert _same(conn, ("crm", "P1"), ("crm", "P2"))
    assert _same(conn, ("crm", "P1"), ("pos", "S3"))
    assert _same(conn, ("crm", "U1"), ("pos", "S4"))
    assert conn.execute("select phone from staging.stg_pos__transactions where transaction_id = 'S4'").fetchone()[0] == "+14155550123"


def test_anonymous_records_are_their_own_unknown_profiles(resolved) -> None:
    conn, _ = resolved
    assert _same(conn, ("web", "e4"), ("web", "e5"))
    assert not _same(conn, ("pos", "S1"), ("pos", "S2"))
    known = dict(conn.execute(
        "select customer_id, is_known from marts.customers where customer_id in (?, ?, ?)",
        [_customer(conn, "web", "e4"), _customer(conn, "pos", "S1"), _customer(conn, "crm", "P1")],
    ).fetchall())
    assert known[_customer(conn, "web", "e4")] is False
    assert known[_customer(conn, "pos", "S1")] is False
    assert known[_customer(conn, "crm", "P1")] is True


def test_web_events_with_the_same_identifiers_resolve_as_one_group(resolved) -> None:
    conn, _ = resolved
    groups = dict(conn.execute(
        "select message_id, group_key from intermediate.int_identity__web_event_groups where message_id in ('e3', 'e4', 'e5', 'e6')"
    ).fetchall())
    # same time: the smaller messageId names the group
    assert groups == {"e3": "e3", "e4": "e4", "e5": "e4", "e6": "e3"}
    # the lurker's group stands for both events: counted twice, resolved once
    assert conn.execute(
        "select records from marts.customer_identifiers where identifier_type = 'anonymous_id' and identifier_value = 'lurker'"
    ).fetchone()[0] == 2
    assert conn.execute(
        "select distinct records from intermediate.int_identity__excluded_identifiers where identifier_value = 'shared-pc'"
    ).fetchall() == [(4,)]
    # a group with no usable identifier: each event is its own profile, not the group's
    assert not _same(conn, ("web", "e3"), ("web", "e6"))
    assert conn.execute(
        """select count(*) from marts.customer_records
           where source = 'web' and record_key in ('e3', 'e6') and has_no_usable_identifier"""
    ).fetchone()[0] == 2
    assert conn.execute(
        """select count(*) from intermediate.int_identity__record_nodes
           where source = 'web' and record_key in ('e3', 'e6') and is_anchor and is_record_node
               and node_key = 'record:web:' || record_key"""
    ).fetchone()[0] == 2
    # ... each listed under the group whose identifiers it carries (what the id history reads)
    assert dict(conn.execute(
        """select record_key, group_record_key from intermediate.int_identity__record_nodes
           where source = 'web' and record_key in ('e3', 'e6')"""
    ).fetchall()) == {"e3": "e3", "e6": "e3"}


def test_an_alias_naming_its_own_cookie_lists_it_once(resolved) -> None:
    conn, _ = resolved
    assert conn.execute(
        """select count(*) from intermediate.int_identity__record_identifiers
           where source = 'web' and record_key = 'e7' and identifier_type = 'anonymous_id'"""
    ).fetchone()[0] == 1
    # the one record carrying the cookie counts once, and still links it to the account
    assert conn.execute(
        "select records from marts.customer_identifiers where identifier_type = 'anonymous_id' and identifier_value = 'returning'"
    ).fetchone()[0] == 1
    assert conn.execute(
        """select count(distinct customer_id) from marts.customer_identifiers
           where (identifier_type, identifier_value) in (('anonymous_id', 'returning'), ('user_id', 'U3'))"""
    ).fetchone()[0] == 1


def test_identifier_values_are_read_back_whole_from_their_node_keys(resolved) -> None:
    conn, _ = resolved
    # a well-formed value is stored once, as its node key; a malformed one as the record carried it
    assert conn.execute(
        """select raw_value, node_key from intermediate.int_identity__record_identifiers
           where source = 'crm' and record_key = 'P1' and identifier_type = 'phone'"""
    ).fetchone() == (None, "phone:+447700900461")
    assert conn.execute(
        """select raw_value, node_key from intermediate.int_identity__record_identifiers
           where source = 'crm' and record_key = 'M1' and identifier_type = 'email'"""
    ).fetchone() == ("mia-at-example.org", None)
    assert conn.execute(
        "select identifier_value from intermediate.int_identity__identifier_nodes where node_key = 'user_id:oauth:google:U9'"
    ).fetchone() == ("oauth:google:U9",)
    crosswalk = conn.execute(
        """select identifier_type, identifier_value, customer_id from marts.customer_identifiers
           where (identifier_type, identifier_value) in
                 (('user_id', 'oauth:google:U9'), ('anonymous_id', 'tablet-9'), ('phone', '+447700900461'))
             and source <> 'pos'
           order by identifier_type"""
    ).fetchall()
    assert [row[:2] for row in crosswalk] == [
        ("anonymous_id", "tablet-9"), ("phone", "+447700900461"), ("user_id", "oauth:google:U9")
    ]
    assert crosswalk[0][2] == crosswalk[2][2] == _customer(conn, "web", "e8")
    assert crosswalk[1][2] == _customer(conn, "crm", "P1")


def test_golden_record_prefers_crm_values(resolved) -> None:
    conn, _ = resolved
    phone, sources = conn.execute(
        "select phone, sources from marts.customers where customer_id = ?", [_customer(conn, "crm", "P1")]
    ).fetchone()
    assert phone == "+447700900461"
    assert sources == "crm pos"


def test_graph_health_is_asset_metadata(resolved) -> None:
    conn, result = resolved
    materializations = [
        m for m in result.asset_materializations_for_node("cdp_dbt_models")
        if m.asset_key.path[-1] == "identity_graph_health"
    ]
    metadata = materializations[0].metadata
    customers = conn.execute("select count(*) from marts.customers").fetchone()[0]
    assert metadata["customers"].value == customers
    assert metadata["dagster/row_count"].value == 1
    for key in ("largest_customer_identifiers", "p99_identifiers_per_customer", "merges", "splits", "share_of_ids_changed"):
        assert key in metadata
    dedup = [m for m in result.asset_materializations_for_node("cdp_dbt_models")
             if m.asset_key.path[-1] == "int_web__events_deduplicated"][0]
    assert dedup.metadata["duplicates_dropped"].value == 0
