"""What the analysts' warehouse may show of a person: the PII policy, in one place.

The published analyst warehouse (``warehouse/cdp.duckdb``) carries customer analytics without
raw personal data; the PII warehouse (``warehouse/cdp_pii.duckdb``) carries the same tables in
full for the engineers who need them (docs/operations.md). Columns are matched by name in every
published table, plus a few table-specific columns whose *values* are identifiers:

* ``hash``: replaced by ``<column>_sha256``, the SHA-256 of the value: analysts can still count,
  join and deduplicate on it, but cannot read or contact the person;
* ``drop``: left out (street address, birth date, last name);
* ``redact``: free text in which identifier values (``email:jane@x.com``) are masked.

A column not listed here is published as is, so a new model with a PII column must be added
here; ``tests/integration/test_publishing.py`` scans the analyst warehouse for anything that looks
like an e-mail address or a phone number to catch a forgotten one.
"""

from __future__ import annotations

from typing import Literal

Rule = Literal["hash", "drop", "redact"]

#: By column name, in every published table.
COLUMN_RULES: dict[str, Rule] = {
    "email": "hash",
    "phone": "hash",
    "loyalty_id": "hash",
    "user_id": "hash",
    "anonymous_id": "hash",
    "last_name": "drop",
    "street": "drop",
    "birth_date": "drop",
}

#: By (table, column), for columns whose values are identifiers of any type.
TABLE_COLUMN_RULES: dict[tuple[str, str], Rule] = {
    ("customer_identifiers", "identifier_value"): "hash",
    ("customer_id_history", "reason"): "redact",
}

#: Identifier node keys as the identity graph writes them: ``<type>:<value>``.
_NODE_KEY_PATTERN = r"(email|phone|loyalty_id|crm_contact_id|anonymous_id|user_id|record):[^ ;,]+"


def rule_for(table: str, column: str) -> Rule | None:
    return TABLE_COLUMN_RULES.get((table, column)) or COLUMN_RULES.get(column)


def select_list(table: str, columns: list[str]) -> str:
    """The select list that publishes ``table`` (with ``columns``) under the policy."""
    expressions = []
    for column in columns:
        rule = rule_for(table, column)
        quoted = f'"{column}"'
        if rule is None:
            expressions.append(quoted)
        elif rule == "hash":
            expressions.append(f'sha256(cast({quoted} as varchar)) as "{column}_sha256"')
        elif rule == "redact":
            expressions.append(f"regexp_replace({quoted}, '{_NODE_KEY_PATTERN}', '\\1:<redacted>', 'g') as {quoted}")
    return ", ".join(expressions)
