"""What one generation run is asked to produce, checked once up front."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .clock import DAY_MS, day_number

DEFAULT_START_DATE = date(2026, 1, 1)
DEFAULT_DAYS = 30
DEFAULT_MALFORMED_RATE = 0.002
#: web and POS volumes are stated per 30 days and scale with ``days / 30``
REFERENCE_DAYS = 30


@dataclass(frozen=True)
class GenerationConfig:
    """The arguments of one run; identical configs produce byte-identical output."""

    people: int
    seed: int
    out_dir: Path
    start_date: date = DEFAULT_START_DATE
    days: int = DEFAULT_DAYS
    malformed_rate: float = DEFAULT_MALFORMED_RATE

    def __post_init__(self) -> None:
        if self.people < 1:
            raise ValueError("people must be at least 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if not 0 <= self.malformed_rate < 0.5:
            raise ValueError("malformed_rate must be in [0, 0.5)")

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

    @property
    def volume_scale(self) -> float:
        """Multiplier for per-person web and POS activity (1.0 at the reference 30 days)."""
        return self.days / REFERENCE_DAYS

    @property
    def landing_dir(self) -> Path:
        return self.out_dir / "landing"

    @property
    def truth_path(self) -> Path:
        """Beside ``landing/``, never inside it, so it is never loaded as a source."""
        return self.out_dir / "ground_truth.csv"
