"""What one generation run is asked to produce, checked once up front."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .clock import DAY_MS, day_number

DEFAULT_START_DATE = date(2026, 1, 1)
DEFAULT_DAYS = 30
DEFAULT_MALFORMED_RATE = 0.002
#: web and POS activity is planned in consecutive blocks of this many days, each from its
#: own random stream and at the same rates, so volume per day is constant: a day's files do
#: not depend on how many days are generated, and 365 days are ~12x the volume of 30
BLOCK_DAYS = 30


@dataclass(frozen=True)
class GenerationConfig:
    """The arguments of one run; identical configs produce byte-identical output."""

    people: int
    seed: int
    out_dir: Path
    start_date: date = DEFAULT_START_DATE
    days: int = DEFAULT_DAYS
    malformed_rate: float = DEFAULT_MALFORMED_RATE
    #: days before this one exist already (``append``): they are planned, never written
    written_from: int = 0

    def __post_init__(self) -> None:
        if self.people < 1:
            raise ValueError("people must be at least 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if not 0 <= self.malformed_rate < 0.5:
            raise ValueError("malformed_rate must be in [0, 0.5)")
        if not 0 <= self.written_from < self.days:
            raise ValueError("written_from must be in [0, days)")

    @property
    def written_days(self) -> range:
        """Window day indexes whose files this run writes."""
        return range(self.written_from, self.days)

    @property
    def first_day(self) -> int:
        """Day number (days since 1970-01-01) of the first generated day."""
        return day_number(self.start_date)

    @property
    def start_ms(self) -> int:
        """Midnight UTC at the start of the window."""
        return self.first_day * DAY_MS

    @property
    def end_ms(self) -> int:
        """Midnight UTC just after the window."""
        return (self.first_day + self.days) * DAY_MS

    def blocks(self, days: range) -> list[int]:
        """The planning blocks ``days`` falls into, in order."""
        return list(range(days.start // BLOCK_DAYS, (days.stop - 1) // BLOCK_DAYS + 1)) if days else []

    @property
    def landing_dir(self) -> Path:
        return self.out_dir / "landing"

    @property
    def truth_path(self) -> Path:
        """Beside ``landing/``, never inside it, so it is never loaded as a source."""
        return self.out_dir / "ground_truth.csv"
