"""Expectations that depend on the run: built here, passed to ``validate(extra_expectations=...)``.

Each helper returns expectation dicts in the suite file's shape (``type``, ``kwargs``, ``meta``),
so they show up in Data Docs and in :class:`~dagster_project.quality.gate.GateResult` like any
expectation from a suite file.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

#: Consent channels of the customer metrics (columns ``<channel>_consent``, booleans).
CONSENT_CHANNELS = ("email", "sms", "ads")


def volume_expectation(
    previous_row_count: int | None, tolerance: float, *, min_rows: int = 0, slack_rows: int = 0
) -> dict[str, Any]:
    """The row count may move at most ``tolerance`` (0.5 = ±50 %) from the previous run's count.

    ``min_value = ceil(previous * (1 - tolerance))`` and ``max_value = floor(previous * (1 + tolerance))``,
    so with a tolerance of 0.5 a table that had 1,000 rows must now have 500 to 1,500; a 90 %
    shrink to 100 rows fails. ``slack_rows`` widens both bounds by a fixed number of rows, so a
    segment of 4 members that becomes 9 is not an anomaly.

    With no baseline (``previous_row_count`` is None: first run, or no history kept) or a previous
    count of 0 (any growth would be "infinite"), there is nothing to compare with: the expectation
    only requires ``min_rows`` rows (default 0, i.e. it always passes but is still recorded, so
    Data Docs show the observed count). Pass ``min_rows=1`` for tables that must never be empty
    (the customer table), and keep 0 for segments, which may legitimately be empty.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    if min_rows < 0:
        raise ValueError(f"min_rows must be >= 0, got {min_rows}")
    if previous_row_count is not None and previous_row_count < 0:
        raise ValueError(f"previous_row_count must be >= 0, got {previous_row_count}")
    if not previous_row_count:
        return {
            "type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": min_rows, "max_value": None},
            "meta": {"why": f"volume: no previous row count to compare with; at least {min_rows} rows"},
        }
    low = max(min_rows, math.ceil(previous_row_count * (1 - tolerance)) - slack_rows)
    high = math.floor(previous_row_count * (1 + tolerance)) + slack_rows
    return {
        "type": "expect_table_row_count_to_be_between",
        "kwargs": {"min_value": low, "max_value": max(low, high)},
        "meta": {
            "why": f"volume: within ±{tolerance:.0%} (±{slack_rows} rows) of the previous run's {previous_row_count} rows",
            "previous_row_count": previous_row_count,
            "tolerance": tolerance,
            "slack_rows": slack_rows,
        },
    }


def _comparable_now(now: dt.datetime, dtype: Any) -> dt.datetime:
    """``now`` in the column's flavour: aware in the column's zone, or naive UTC for naive columns."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=dt.timezone.utc)
    column_zone = getattr(dtype, "tz", None)
    if column_zone is not None:
        return pd.Timestamp(aware).tz_convert(column_zone).to_pydatetime()
    return aware.astimezone(dt.timezone.utc).replace(tzinfo=None)


def not_in_future_expectations(
    df: pd.DataFrame, now: dt.datetime, *, exclude: tuple[str, ...] | list[str] = ()
) -> list[dict[str, Any]]:
    """One ``expect_column_values_to_be_between(max_value=now)`` per datetime column of ``df``.

    Covers every ``datetime64`` column (naive or time-zone aware; DuckDB ``date`` and
    ``timestamp`` columns arrive as such). Naive columns are taken to be UTC, as the warehouse
    stores them; a naive ``now`` is taken to be UTC too. Nulls are ignored. Columns of other
    dtypes (e.g. ``object`` holding strings) are not checked. Per-value rather than a check on the
    column's max so that the failure samples show the future values.
    """
    expectations = []
    for column, dtype in df.dtypes.items():
        if column in exclude or not pd.api.types.is_datetime64_any_dtype(dtype):
            continue
        limit = _comparable_now(now, dtype)
        expectations.append(
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": column, "max_value": limit},
                "meta": {"why": f"no timestamp after the run started ({limit.isoformat()})"},
            }
        )
    return expectations


def consent_expectations(channel: str, *, column: str | None = None) -> list[dict[str, Any]]:
    """Every member of a segment exported to ``channel`` has consented to it.

    Two expectations on ``<channel>_consent`` (or ``column``): not null (GX skips nulls in
    set checks, and unknown consent is no consent) and in the set ``[True]``.
    """
    if column is None:
        if channel not in CONSENT_CHANNELS:
            raise ValueError(f"unknown consent channel {channel!r}; expected one of {CONSENT_CHANNELS}")
        column = f"{channel}_consent"
    why = f"a segment exported to {channel} may only hold customers who consented to {channel}"
    return [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": column}, "meta": {"why": why}},
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": column, "value_set": [True]},
            "meta": {"why": why},
        },
    ]


def expectation_columns(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """The columns that expectations (in the suite file's shape) read, in first-use order.

    The gate loads only these (and the key columns) from the warehouse: GX copies the frame it
    validates for each expectation, so every unused column costs time on a large table.
    """
    columns: list[str] = []
    for entry in entries:
        kwargs = entry.get("kwargs", {})
        named = [kwargs.get(key) for key in ("column", "column_A", "column_B")] + list(kwargs.get("column_list") or [])
        columns += [c for c in named if isinstance(c, str)]
    return list(dict.fromkeys(columns))
