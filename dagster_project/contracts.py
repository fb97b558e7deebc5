"""Source data contracts: what each landing file must look like.

The contract is the single place that says which columns a source has, which of them a
file must carry, and which type each value must parse as. The extract layer enforces it
(rows that break it go to ``raw.rejects`` with the field and the reason), the raw tables
are created from it, and ``docs/data_contracts.md`` documents it for users. Raw tables
keep every value as the string that was landed, so a load can always be replayed;
staging models do the casting, which cannot fail because the extract already checked it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

FieldType = Literal["string", "timestamp", "date", "boolean", "decimal", "integer"]

#: DuckDB type each contract type must cast to (``try_cast`` in the extract).
SQL_TYPES: dict[FieldType, str] = {
    "string": "varchar",
    "timestamp": "timestamptz",
    "date": "date",
    "boolean": "boolean",
    "decimal": "decimal(18, 2)",
    "integer": "bigint",
}

#: Spelling a value must have besides casting (DuckDB's casts are lenient: '1.5' casts to the
#: bigint 2, '0x10' to 16, '1_000' and '1e3' to 1000; the contract wants plain numbers).
SQL_PATTERNS: dict[FieldType, str] = {
    "integer": r"^[+-]?[0-9]+$",
    "decimal": r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$",
}


@dataclass(frozen=True)
class PlausibleRange:
    """The span a date or timestamp must fall in, else its row is quarantined.

    ``latest_after_load`` is measured from the load's start (the load transaction's ``now()``),
    so it allows that much clock skew into the future; a date is compared with the load date.
    """

    earliest: date
    latest_after_load: timedelta
    description: str


# The ONE place the plausible ranges live (docs/data_contracts.md, "Plausible ranges").
#: When something happened (an event, a transaction, a CRM record's creation or update): not
#: before 1990, not more than one day after the load (clock skew between systems).
EVENT_TIME_RANGE = PlausibleRange(date(1990, 1, 1), timedelta(days=1), "from 1990-01-01 to 1 day after the load")
#: A person's birth date: not before 1900, not after the load date.
BIRTH_DATE_RANGE = PlausibleRange(date(1900, 1, 1), timedelta(0), "from 1900-01-01 to the load date")


@dataclass(frozen=True)
class Field:
    """One column of a tabular source, or one JSON path of an event source."""

    name: str
    type: FieldType = "string"
    required_column: bool = False  # the file's header must have it
    required_value: bool = False  # every row must have a non-empty value
    description: str = ""
    plausible: PlausibleRange | None = None  # dates and timestamps outside it are quarantined


@dataclass(frozen=True)
class CsvSource:
    """A source landed as CSV files with a header row."""

    name: str
    folder: str
    pattern: str
    fields: tuple[Field, ...]
    description: str

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.required_column]


@dataclass(frozen=True)
class JsonLinesSource:
    """A source landed as newline-delimited JSON, one event per line.

    ``fields`` are the top-level keys the extract checks; the whole event is kept as JSON.
    """

    name: str
    folder: str
    pattern: str
    fields: tuple[Field, ...]
    event_types: tuple[str, ...]
    identity_keys: tuple[str, ...]
    description: str

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"


CRM_CONTACTS = CsvSource(
    name="crm_contacts",
    folder="crm",
    pattern="*.csv",
    description=(
        "CRM contact exports. One file per export; a later export can carry a newer version "
        "of a contact already exported (same contact_id, later updated_at)."
    ),
    fields=(
        Field("contact_id", required_column=True, required_value=True, description="CRM primary key"),
        Field("first_name", required_column=True),
        Field("last_name", required_column=True),
        Field("email", required_column=True),
        Field("phone", required_column=True, description="any national or international format"),
        Field("street"),
        Field("city"),
        Field("postal_code"),
        Field("country", description="ISO 3166-1 alpha-2, e.g. GB"),
        Field("birth_date", "date", description="YYYY-MM-DD", plausible=BIRTH_DATE_RANGE),
        Field("loyalty_id"),
        Field("email_opt_in", "boolean", description="true/false, yes/no, y/n, 1/0"),
        Field("sms_opt_in", "boolean"),
        Field("created_at", "timestamp", required_column=True, required_value=True, plausible=EVENT_TIME_RANGE),
        Field("updated_at", "timestamp", required_column=True, required_value=True, plausible=EVENT_TIME_RANGE),
    ),
)

POS_TRANSACTIONS = CsvSource(
    name="pos_transactions",
    folder="pos",
    pattern="*.csv",
    description="Point-of-sale transactions, one row per transaction, one file per day or store export.",
    fields=(
        Field("transaction_id", required_column=True, required_value=True),
        Field("store_id", required_column=True, required_value=True),
        Field("transaction_at", "timestamp", required_column=True, required_value=True, plausible=EVENT_TIME_RANGE),
        Field("loyalty_id"),
        Field("email"),
        Field("phone"),
        Field("first_name"),
        Field("last_name"),
        Field("postal_code"),
        Field("amount", "decimal", required_column=True, required_value=True),
        Field("currency", required_column=True, required_value=True, description="ISO 4217, e.g. EUR"),
        Field("item_count", "integer"),
        Field("country", description="ISO 3166-1 alpha-2 of the store, e.g. DE; used to read national phone numbers"),
    ),
)

WEB_EVENTS = JsonLinesSource(
    name="web_events",
    folder="web",
    pattern="*.jsonl",
    description=(
        "Web and app events, newline-delimited JSON as the Segment tracking spec defines it "
        "(also emitted by RudderStack and Jitsu). Delivery is at-least-once."
    ),
    event_types=("identify", "track", "page", "screen", "alias", "group"),
    identity_keys=("anonymousId", "userId"),
    fields=(
        Field("messageId", required_value=True, description="unique per event; repeats are re-deliveries"),
        Field("type", required_value=True, description="one of the six call types"),
        # only the event time is range-checked: originalTimestamp and sentAt carry the client's
        # clock, which Segment corrects for in `timestamp`
        Field("timestamp", "timestamp", required_value=True, plausible=EVENT_TIME_RANGE),
        Field("originalTimestamp", "timestamp"),
        Field("sentAt", "timestamp"),
        Field("receivedAt", "timestamp"),
    ),
)

ERASURE_REQUESTS = CsvSource(
    name="erasure_requests",
    folder="erasure",
    pattern="*.csv",
    description=(
        "Right-to-be-forgotten requests (GDPR art. 17, CCPA): who asked to be erased, by e-mail, "
        "phone or customer id (at least one per row). After the next run the person is gone from "
        "the published warehouse and every export, and later files cannot bring them back."
    ),
    fields=(
        Field("request_id", required_column=True, required_value=True, description="unique per request, e.g. a ticket number"),
        Field("email", required_column=True),
        Field("phone", required_column=True, description="any format the CRM accepts; read as E.164 like CRM phones"),
        Field("customer_id", required_column=True, description="a customer id from marts.customers"),
        Field("country", description="ISO 3166-1 alpha-2, to read a national phone number (else the project default)"),
        Field("requested_at", "timestamp", required_column=True, required_value=True, plausible=EVENT_TIME_RANGE),
    ),
)

CSV_SOURCES: tuple[CsvSource, ...] = (CRM_CONTACTS, POS_TRANSACTIONS, ERASURE_REQUESTS)
ALL_SOURCES: tuple[CsvSource | JsonLinesSource, ...] = (CRM_CONTACTS, WEB_EVENTS, POS_TRANSACTIONS, ERASURE_REQUESTS)
