"""Where generated files go and how they are opened, shared by the three source writers."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import GenerationConfig

#: landing folder and file-name pattern of everything the generator writes
FILE_PATTERNS = {"crm": "contacts_*.csv", "web": "events_*.jsonl", "pos": "transactions_*.csv"}


@dataclass
class SourceCounts:
    """What one source writer produced."""

    files: int = 0
    rows: int = 0  # lines written, malformed ones and re-deliveries included
    malformed: int = 0
    record_keys: int = 0  # distinct well-formed keys, i.e. this source's ground-truth rows


def clear_previous_output(config: GenerationConfig) -> None:
    """Delete files an earlier run wrote into the same directory.

    Without this a run with fewer days would leave the earlier run's later day files in
    place, and the pipeline would load a mix of two samples. Only the generator's own
    file patterns are touched.
    """
    for source, pattern in FILE_PATTERNS.items():
        for path in sorted((config.landing_dir / source).glob(pattern)):
            path.unlink()
    config.truth_path.unlink(missing_ok=True)


def landing_file(config: GenerationConfig, source: str, stem: str, date_text: str) -> Path:
    """``<out>/landing/<source>/<stem>_<date>.<ext>``, creating the folder."""
    folder = config.landing_dir / source
    folder.mkdir(parents=True, exist_ok=True)
    extension = FILE_PATTERNS[source].rsplit(".", 1)[1]
    return folder / f"{stem}_{date_text}.{extension}"


@contextmanager
def csv_file(path: Path, columns: Sequence[str]) -> Iterator[Any]:
    """A ``csv.writer`` on ``path`` with the header already written (``\\n`` line ends,
    minimal quoting, UTF-8), closed on exit."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        yield writer
