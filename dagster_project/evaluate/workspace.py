"""The scratch directory an evaluation works in, and the pipeline run inside it.

An evaluation must never touch the user's warehouse, identity registry or Dagster run
history: it runs the real pipeline, but on a warehouse and a registry inside its own
directory, starting from nothing each time so the measurement depends only on the input.
Generated data is the slow part at scale, so it is kept (with the parameters that made it)
and reused when a later run in the same directory asks for the same data.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from dagster_project.publishing.layout import work_database_of
from dagster_project.settings import PROJECT_ROOT, Settings, environment

#: the variable the identity-resolution models read the registry path from
REGISTRY_ENV = "CDP_IDENTITY_REGISTRY"


@dataclass(frozen=True)
class Workdir:
    """Fixed names inside one scratch directory."""

    root: Path

    @property
    def generated(self) -> Path:
        return self.root / "generated"

    @property
    def generated_landing(self) -> Path:
        return self.generated / "landing"

    @property
    def generated_truth(self) -> Path:
        return self.generated / "ground_truth.csv"

    @property
    def generation_parameters(self) -> Path:
        return self.generated / "parameters.json"

    @property
    def pipeline(self) -> Path:
        """Everything the pipeline writes (warehouse, releases, registry): emptied before each run."""
        return self.root / "pipeline"

    @property
    def warehouse(self) -> Path:
        return self.pipeline / "cdp.duckdb"

    @property
    def registry(self) -> Path:
        return self.pipeline / "identity_registry.duckdb"

    @property
    def work_database(self) -> Path:
        """The run's working database: customer_records and the deduplicated source tables."""
        return work_database_of(self.warehouse)

    @property
    def spill(self) -> Path:
        """Where the scoring connection may spill to disk (beside the data, not the CWD)."""
        return self.root / "scoring_tmp"


@contextmanager
def scratch_workdir(path: Path | None) -> Iterator[Workdir]:
    """``path`` (created, kept afterwards) or a temporary directory (deleted afterwards)."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        workdir = Workdir(path.resolve())
        _refuse_user_paths(workdir)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="cdp-evaluate-") as tmp:
        yield Workdir(Path(tmp))


def _refuse_user_paths(workdir: Workdir) -> None:
    """A ``--workdir`` that would make the scratch files the user's real ones is refused."""
    user = Settings.from_env()
    protected = {user.warehouse_path, user.warehouse_path.parent, user.identity_registry_path,
                 user.identity_registry_path.parent, PROJECT_ROOT / "warehouse"}
    clashes = protected & {workdir.root, workdir.pipeline, workdir.warehouse, workdir.registry}
    if clashes:
        raise ValueError(f"--workdir {workdir.root} would overwrite your own data ({', '.join(map(str, clashes))})")


# -- generated data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationRequest:
    people: int
    seed: int
    days: int


@dataclass(frozen=True)
class Generated:
    landing: Path
    truth: Path
    reused: bool
    seconds: float
    description: str


def ensure_generated(workdir: Workdir, request: GenerationRequest) -> Generated:
    """Generate the data set into the workdir unless it already holds this exact one.

    The parameters file is written only after generation finished, and removed before it
    starts, so an interrupted run is never mistaken for a complete one.
    """
    started = time.perf_counter()
    wanted = asdict(request)
    marker = workdir.generation_parameters
    if marker.is_file() and workdir.generated_truth.is_file() and json.loads(marker.read_text()) == wanted:
        return Generated(workdir.generated_landing, workdir.generated_truth, True, time.perf_counter() - started,
                         f"reused data generated earlier in {workdir.generated} ({_describe(request)})")
    from dagster_project.generate import generate

    marker.unlink(missing_ok=True)
    summary = generate(request.people, request.seed, workdir.generated, days=request.days)
    marker.write_text(json.dumps(wanted, indent=2) + "\n")
    return Generated(workdir.generated_landing, workdir.generated_truth, False, time.perf_counter() - started,
                     summary.one_line())


def _describe(request: GenerationRequest) -> str:
    return f"{request.people:,} people, seed {request.seed}, {request.days} days"


# -- the pipeline -----------------------------------------------------------------------------


@contextmanager
def scratch_environment(workdir: Workdir, landing: Path) -> Iterator[None]:
    """Point every path variable at the scratch directory for the duration, then restore.

    The paths also go to the pipeline CLI as flags; the variables are set as well so that
    nothing falls back to the user's own paths.
    ``DAGSTER_HOME`` is removed so the run uses an ephemeral instance and does not show up
    in the user's run history.
    """
    scratch = {
        "CDP_WAREHOUSE": str(workdir.warehouse),
        "CDP_WORK_DATABASE": str(workdir.work_database),
        "CDP_EXPORTS_DIR": str(workdir.pipeline / "exports"),
        "CDP_LANDING_DIR": str(landing),
        REGISTRY_ENV: str(workdir.registry),
        "DAGSTER_HOME": None,
    }
    with environment(scratch):
        yield


def run_pipeline(workdir: Workdir, landing: Path) -> bool:
    """Run the whole pipeline on ``landing`` into a fresh scratch warehouse and registry.

    Returns whether it succeeded; the pipeline CLI has already printed why not.
    """
    from dagster_project import run

    shutil.rmtree(workdir.pipeline, ignore_errors=True)
    argv = ["--landing-dir", str(landing), "--warehouse", str(workdir.warehouse),
            "--identity-registry", str(workdir.registry)]
    with scratch_environment(workdir, landing):
        return run.main(argv) == 0
