"""The ground-truth file: which real person each record key belongs to."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from types import TracebackType

TRUTH_COLUMNS = ("source", "record_key", "person_id")


class TruthWriter:
    """Streams ``source,record_key,person_id`` rows, one per distinct key.

    Callers add a key once (a re-delivered web event or a newer CRM version is the same
    key), and never add the keys of deliberately malformed rows.
    """

    def __init__(self, path: Path, header: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        if header:  # parts written by workers are concatenated under one header
            self._writer.writerow(TRUTH_COLUMNS)
        self.counts: dict[str, int] = {"crm": 0, "web": 0, "pos": 0}

    def add(self, source: str, record_key: str, person_id: str) -> None:
        self._writer.writerow((source, record_key, person_id))
        self.counts[source] += 1

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TruthWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def truth_part(parts: Path, day: int, source: str) -> Path:
    """The truth rows of one source and day; sorted part names give the truth file's order:
    day by day, CRM then web then POS, so appending a day appends to the truth file."""
    order = {"crm": 0, "web": 1, "pos": 2}[source]
    return parts / f"{day:06d}-{order}-{source}.csv"


def concatenate(path: Path, parts: list[Path], append: bool = False) -> None:
    """Write the truth file at ``path``: the header, then each headerless part in order
    (``append``: add the parts to the end of the existing file)."""
    with path.open("a" if append else "w", encoding="utf-8", newline="") as out:
        if not append:
            out.write(",".join(TRUTH_COLUMNS) + "\n")
        for part in parts:
            with part.open(encoding="utf-8", newline="") as handle:
                shutil.copyfileobj(handle, out)
