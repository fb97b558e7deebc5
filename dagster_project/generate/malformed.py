"""Deliberately broken rows, so the extract's rejects path sees realistic failures.

A ``Malformer`` decides, after each well-formed record, whether to also emit a broken one.
Broken records are *extra* rows with keys of their own that no well-formed record uses,
drawn from a stream of their own: the well-formed output is the same whatever the rate,
and no broken record's key is in the ground truth.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .randomness import derive_rng

BAD_TIMESTAMPS: tuple[str, ...] = (
    "2026-02-30T10:00:00Z", "31/01/2026 14:22", "yesterday", "2026-01-15 25:61:00", "N/A",
)
BAD_DECIMALS: tuple[str, ...] = ("12,50", "N/A", "£12.50", "1.234,56", "twelve")


class Malformer:
    """Emits broken variants of records at ``rate``, with its own random stream."""

    def __init__(self, seed: int, source: str, rate: float, *scope: object) -> None:
        self.rate = rate
        self.rng = derive_rng(seed, source, "malformed", *scope)
        self.count = 0

    def due(self) -> bool:
        """Whether a broken record follows the record just written."""
        if self.rate <= 0:
            return False
        hit = self.rng.random() < self.rate
        self.count += hit
        return hit

    def csv_row(
        self,
        row: Sequence[str],
        key: str,
        timestamp_columns: Sequence[int],
        decimal_columns: Sequence[int] = (),
    ) -> list[str]:
        """``row`` with ``key`` in column 0, broken one way: a column too many or too few,
        an unparseable timestamp, or an unparseable amount."""
        rng = self.rng
        broken = [key, *row[1:]]
        kinds = ["extra_column", "missing_column", "bad_timestamp"] + (["bad_decimal"] if decimal_columns else [])
        kind = rng.choice(kinds)
        if kind == "extra_column":
            broken.insert(rng.randrange(1, len(broken)), rng.choice(("", "x", "extra")))
        elif kind == "missing_column":
            del broken[rng.randrange(1, len(broken))]
        elif kind == "bad_timestamp":
            broken[rng.choice(timestamp_columns)] = rng.choice(BAD_TIMESTAMPS)
        else:
            broken[rng.choice(decimal_columns)] = rng.choice(BAD_DECIMALS)
        return broken

    def json_line(self, event: dict[str, Any], message_id: str) -> str:
        """``event`` with ``message_id``, broken one way: cut-off JSON, no ``messageId``,
        or an unparseable ``timestamp``."""
        rng = self.rng
        broken = dict(event, messageId=message_id)
        kind = rng.randrange(3)
        if kind == 1:
            del broken["messageId"]
        elif kind == 2:
            broken["timestamp"] = rng.choice(BAD_TIMESTAMPS)
        line = json.dumps(broken, ensure_ascii=False, separators=(",", ":"))
        return line[: rng.randrange(10, max(11, len(line) - 2))] if kind == 0 else line
