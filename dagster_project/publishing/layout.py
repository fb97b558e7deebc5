"""Where every file of a deployment lives, derived from the published warehouse path.

::

    warehouse/
      cdp.duckdb      -> releases/current/cdp.duckdb       analysts: customer analytics, no raw PII
      cdp_pii.duckdb  -> releases/current/cdp_pii.duckdb   engineers: the same tables with full PII
      exports         -> releases/current/exports          destinations: segment files
      releases/current -> ../.versions/releases/current/<version>   swapped atomically per run
      .versions/releases/current/<version>/                the last few releases
      identity_registry.duckdb                             state: ids, memberships, baselines
      work/cdp.duckdb                                      the run's working database (raw and all)
      work/runs/<run id>/                                  what a run stages before it publishes

Readers only ever open files inside a release, which is never written again once published, so
an open analyst connection can neither block a run nor see half of one. The run writes only
``work/`` and the registry, and switches ``releases/current`` in one ``rename(2)`` at the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

RELEASE_GROUP, RELEASE_NAME = "releases", "current"
ANALYST_DB, PII_DB, EXPORTS = "cdp.duckdb", "cdp_pii.duckdb", "exports"


def work_database_of(warehouse: Path) -> Path:
    """The working database behind a published warehouse path (raw, staging, identity, marts with PII)."""
    return warehouse.parent / "work" / "cdp.duckdb"


@dataclass(frozen=True)
class Layout:
    """The files of one deployment. ``warehouse`` is the analysts' path (``CDP_WAREHOUSE``)."""

    warehouse: Path
    exports: Path

    @property
    def root(self) -> Path:
        return self.warehouse.parent

    @property
    def pii_warehouse(self) -> Path:
        return self.root / PII_DB

    @property
    def current_release(self) -> Path:
        """The symlink to the release analysts and destinations see now."""
        return self.root / RELEASE_GROUP / RELEASE_NAME

    @property
    def work_dir(self) -> Path:
        return self.root / "work"

    @property
    def work_database(self) -> Path:
        """The database the extract and dbt write: raw data, staging, identity, marts, with PII."""
        return work_database_of(self.warehouse)

    def run_dir(self, run_id: str) -> Path:
        """Where a run stages what it will publish (its exports)."""
        return self.work_dir / "runs" / run_id

    def published_exports(self) -> Path | None:
        """The exports of the current release, or None before the first release."""
        path = self.current_release / EXPORTS
        return path if path.is_dir() else None

    def adopt_legacy_warehouse(self) -> bool:
        """Before releases existed, ``cdp.duckdb`` was the working database itself: make it the work
        database (keeping every landed file) and set aside per-export links. True if it did."""
        if not self.warehouse.is_file() or self.warehouse.is_symlink() or self.work_database.exists():
            return False
        self.work_dir.mkdir(parents=True, exist_ok=True)
        os.rename(self.warehouse, self.work_database)
        if self.exports.is_dir() and not self.exports.is_symlink():
            os.rename(self.exports, self.exports.with_name(self.exports.name + ".before-releases"))
        return True

    def link_public_paths(self) -> None:
        """Point the documented paths into ``releases/current`` (idempotent, each link atomic)."""
        targets = {self.warehouse: ANALYST_DB, self.pii_warehouse: PII_DB, self.exports: EXPORTS}
        for public, name in targets.items():
            target = os.path.relpath(self.current_release / name, public.parent)
            if public.is_symlink() and os.readlink(public) == target:
                continue
            if public.exists() and not public.is_symlink():
                raise RuntimeError(
                    f"{public} is a regular {'directory' if public.is_dir() else 'file'}, not the link to the "
                    f"current release; move it away (it is not used any more) and run again"
                )
            public.parent.mkdir(parents=True, exist_ok=True)
            temporary = public.with_name(f".{public.name}.link-{os.getpid()}")
            temporary.unlink(missing_ok=True)
            os.symlink(target, temporary)
            os.replace(temporary, public)
