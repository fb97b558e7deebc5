"""The identity registry commits with the release: a run that does not publish leaves no trace in it.

The registry file holds state that runs build on (stable customer ids, segment membership
history, the quality gate's baselines, the erasure suppression list), and dbt writes it
during the run, before the quality gate has spoken. So each run starts by copying the registry
aside and leaving a marker; publishing a release removes the marker. A run that starts and
finds a marker knows the previous run never published (it failed, or was killed), and puts
the registry back as the last published run left it before doing anything else. No clean-up by
hand, whatever point the previous run died at.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

MARKER = "run_in_progress.json"
SNAPSHOT = "identity_registry.snapshot.duckdb"


@dataclass(frozen=True)
class RegistryJournal:
    """The registry file and the directory where its snapshot and the run marker live."""

    registry: Path
    directory: Path

    @property
    def marker(self) -> Path:
        return self.directory / MARKER

    @property
    def snapshot(self) -> Path:
        return self.directory / SNAPSHOT

    def unpublished_run(self) -> dict | None:
        """The marker of a run that started and never published, if any."""
        return json.loads(self.marker.read_text()) if self.marker.exists() else None

    def recover(self, published_run_id: str | None) -> dict | None:
        """Put the registry back as the last published run left it; returns the dead run's marker.

        ``published_run_id`` is the run of the current release: a run killed after its release
        was switched in but before it removed its marker did publish, and its registry stands.
        """
        dead = self.unpublished_run()
        if dead is None:
            return None
        if dead["run_id"] == published_run_id:
            self.marker.unlink()
            return None
        if dead.get("registry_existed"):
            _copy_atomically(self.snapshot, self.registry)
        else:
            self.registry.unlink(missing_ok=True)
        self.marker.unlink()
        return dead

    def begin(self, run_id: str) -> None:
        """Snapshot the registry and mark the run as started (call after :meth:`recover`)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        existed = self.registry.exists()
        if existed:
            _copy_atomically(self.registry, self.snapshot)
        marker = {"run_id": run_id, "started_at": datetime.now(timezone.utc).isoformat(), "registry_existed": existed}
        temporary = self.marker.with_suffix(".tmp")
        temporary.write_text(json.dumps(marker))
        os.replace(temporary, self.marker)

    def commit(self, run_id: str) -> None:
        """The run published: its registry changes stand."""
        dead = self.unpublished_run()
        if dead is not None and dead["run_id"] != run_id:
            raise RuntimeError(f"run {run_id} cannot commit: the registry was snapshotted by run {dead['run_id']}")
        self.marker.unlink(missing_ok=True)
        self.snapshot.unlink(missing_ok=True)


def _copy_atomically(source: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.copy-{os.getpid()}")
    shutil.copyfile(source, temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)
