"""Which records the evaluator counts as identifiable: decided from the data, not the resolver."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.evaluate.inputs import restrict_truth_to_identifiable

CRM = [  # contact_id, email, phone_raw, loyalty_id
    ("C1", "ann@mail.com", "07700 900461", "L1"),
]
POS = [  # transaction_id, loyalty_id, email, phone_raw, first_name, last_name, postal_code
    ("S1", None, " ANN@mail.com", None, None, None, None),  # the CRM e-mail, another spelling
    ("S2", None, None, "+44 7700 900461", None, None, None),  # the CRM phone, another format
    ("S3", None, None, "0161 555 1234", None, None, None),  # a phone no other record holds
    ("S4", None, "typo@mial.com", None, None, None, None),  # an e-mail no other record holds
    ("S5", None, None, None, "Ann", "Lee", "LS1 4AP"),  # name and postal code
    ("S6", None, None, None, None, None, None),  # a cash sale
    ("S7", "L1", None, None, None, None, None),  # the CRM loyalty card
]
WEB = [  # message_id, anonymous_id, user_id, email, phone_raw
    ("e1", "dev-a", "U1", None, None),
    ("e2", "dev-a", None, None, None),  # the device logged in on e1
    ("e3", "dev-b", None, None, None),  # a device that never logs in
    ("e4", "dev-c", None, "lone@mail.com", None),  # shows only an e-mail no other record holds
    ("e5", "dev-c", None, None, None),
    ("e6", "dev-d", None, "ann@mail.com", None),  # shows the CRM e-mail
    ("e7", "dev-d", None, None, None),
]


@pytest.fixture
def conn(tmp_path: Path):
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as wh:
        wh.execute("create schema intermediate")
        wh.execute("create table intermediate.int_crm__contacts_latest "
                   "(contact_id varchar, email varchar, phone_raw varchar, loyalty_id varchar)")
        wh.executemany("insert into intermediate.int_crm__contacts_latest values (?, ?, ?, ?)", CRM)
        wh.execute("create table intermediate.int_pos__transactions_deduplicated (transaction_id varchar, "
                   "loyalty_id varchar, email varchar, phone_raw varchar, first_name varchar, last_name varchar, "
                   "postal_code varchar)")
        wh.executemany("insert into intermediate.int_pos__transactions_deduplicated values (?, ?, ?, ?, ?, ?, ?)", POS)
        wh.execute("create table intermediate.int_web__events_deduplicated (message_id varchar, "
                   "anonymous_id varchar, user_id varchar, email varchar, phone_raw varchar)")
        wh.executemany("insert into intermediate.int_web__events_deduplicated values (?, ?, ?, ?, ?)", WEB)
    connection = duckdb.connect()
    connection.execute(f"attach '{warehouse}' as wh (read_only)")
    truth = [("crm", key, "p") for key, *_ in CRM] + [("pos", key, "p") for key, *_ in POS] + [
        ("web", key, "p") for key, *_ in WEB
    ]
    connection.execute("create table truth (source varchar, record_key varchar, person_id varchar)")
    connection.executemany("insert into truth values (?, ?, ?)", truth)
    yield connection
    connection.close()


def test_only_records_with_evidence_another_record_shares_are_kept(conn) -> None:
    kept, total = restrict_truth_to_identifiable(conn)
    keys = {row[0] for row in conn.execute("select source || ':' || record_key from truth").fetchall()}
    assert keys == {
        "crm:C1", "pos:S1", "pos:S2", "pos:S5", "pos:S7", "web:e1", "web:e2", "web:e6", "web:e7",
    }
    assert (kept, total) == (9, len(CRM) + len(POS) + len(WEB))
    assert conn.execute("select count(*) from truth_all").fetchone()[0] == total


def test_scope_is_skipped_without_the_deduplicated_tables(tmp_path: Path) -> None:
    warehouse = tmp_path / "empty.duckdb"
    duckdb.connect(str(warehouse)).close()
    connection = duckdb.connect()
    connection.execute(f"attach '{warehouse}' as wh (read_only)")
    assert restrict_truth_to_identifiable(connection) is None
