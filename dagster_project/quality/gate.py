"""Validate a pandas DataFrame against a suite with Great Expectations, and say what failed.

Great Expectations 1.x cannot validate DuckDB through SQLAlchemy, so the caller reads the table
into pandas and hands the DataFrame here. Each call builds a throwaway (ephemeral) GX context,
which costs a few milliseconds; importing GX costs several seconds, once per process.

Data Docs: with ``docs_dir`` the suite and its validation result are also stored as JSON under
``docs_dir/.gx_stores/`` and the static Data Docs site in ``docs_dir`` is updated (GX's
``UpdateDataDocsAction``). Because the stores live on disk, every suite validated into the same
``docs_dir`` shows in one ``index.html``, whichever process or context validated it. Writes are
serialised with a lock file, so parallel Dagster steps can share a ``docs_dir``. The site keeps
every validation stored in it: give each run its own ``docs_dir`` to have a site per run. A caller
that validates several suites in a row passes ``build_docs=False`` and calls
:func:`build_data_docs` once at the end: each build renders the site index again and compiles
GX's page templates in a new context (3 of the gate's 12 s for its eight suites, against one
build's fraction of that).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import fcntl
import math
import shutil
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from dagster_project.quality._gx import gx
from dagster_project.quality.suites import NAME_PATTERN, Suite, SuiteError, check_expectation

#: Failing values / rows kept per failed expectation.
SAMPLE_SIZE = 5
#: Columns copied into sample rows besides the expectation's own, to find the record.
KEY_COLUMNS = ("customer_id",)
_STORES = ".gx_stores"
_SITE = "quality_gate"
_thread_lock = threading.Lock()


@dataclass(frozen=True)
class Failure:
    """One failed expectation."""

    expectation_type: str
    column: str | None
    kwargs: dict[str, Any]
    observed_value: Any  # the metric for aggregate expectations, None for row-by-row ones
    unexpected_count: int | None  # rows that broke a row-by-row expectation
    unexpected_percent: float | None
    sample_values: list[Any]  # up to SAMPLE_SIZE distinct failing values
    sample_rows: list[dict[str, Any]]  # up to SAMPLE_SIZE failing rows: key + checked columns
    exception: str | None = None  # GX could not evaluate the expectation (e.g. missing column)
    why: str | None = None  # the expectation's meta.why

    def describe_observed(self) -> str:
        if self.exception:
            return f"error: {self.exception}"
        if self.unexpected_count is not None:
            percent = f" ({self.unexpected_percent:.2f} %)" if self.unexpected_percent is not None else ""
            return f"{self.unexpected_count} unexpected{percent}"
        bounds = [f"{key}={self.kwargs[key]!r}" for key in ("value", "min_value", "max_value") if key in self.kwargs]
        return f"observed {self.observed_value!r}" + (f" (expected {', '.join(bounds)})" if bounds else "")


@dataclass(frozen=True)
class GateResult:
    """What a validation found: the suite passed, or which expectations failed and on what."""

    suite_name: str
    success: bool
    evaluated: int
    failures: tuple[Failure, ...] = ()
    docs_index: Path | None = None
    successful: int = field(default=0)

    def to_markdown(self) -> str:
        """A short table of the failing expectations with samples (for Dagster metadata)."""
        if self.success:
            return f"**{self.suite_name}**: all {self.evaluated} expectations passed."
        lines = [
            f"**{self.suite_name}**: {len(self.failures)} of {self.evaluated} expectations failed.",
            "",
            "| Expectation | Column | Observed | Samples |",
            "| --- | --- | --- | --- |",
        ]
        for failure in self.failures:
            samples = ", ".join(f"`{_short(value)}`" for value in failure.sample_values) or "–"
            lines.append(
                "| "
                + " | ".join(
                    _cell(text)
                    for text in (failure.expectation_type, failure.column or "–", failure.describe_observed(), samples)
                )
                + " |"
            )
        if self.docs_index is not None:
            lines += ["", f"Data Docs: `{self.docs_index}`"]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (e.g. for ``MetadataValue.json``)."""
        result = asdict(self)
        result["docs_index"] = str(self.docs_index) if self.docs_index else None
        return _json_safe(result)


def validate(
    df: pd.DataFrame,
    suite: Suite,
    *,
    parameters: Mapping[str, Any] | None = None,
    extra_expectations: Iterable[Mapping[str, Any]] = (),
    docs_dir: Path | None = None,
    name: str | None = None,
    run_name: str | None = None,
    build_docs: bool = True,
) -> GateResult:
    """Validate ``df`` against ``suite`` plus ``extra_expectations``.

    ``parameters`` resolves the suite's ``{"$PARAMETER": name}`` placeholders (a missing one
    raises :class:`SuiteError` before anything runs). ``extra_expectations`` are dicts in the
    suite file's shape (see :mod:`dagster_project.quality.expectations`), checked the same way.
    ``name`` stores the validation under another name than the suite's, e.g. one generic
    ``segment`` suite validated as ``segment.vip_customers`` for each segment; ``run_name``
    (e.g. the Dagster run id) groups the validations of one run in Data Docs. With
    ``build_docs=False`` the result is stored in ``docs_dir`` but the site is left for
    :func:`build_data_docs`.
    """
    great_expectations = gx()
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite_name = name or suite.name
    if not NAME_PATTERN.match(suite_name):
        raise ValueError(f"validation name {suite_name!r} must match {NAME_PATTERN.pattern}")
    parameters = dict(parameters or {})
    entries = [dict(entry) for entry in suite.expectations]
    entries += [check_expectation(entry, f"extra expectation #{n}") for n, entry in enumerate(extra_expectations, 1)]
    needed = Suite(suite_name, "", tuple(entries)).parameters
    missing = sorted(needed - set(parameters))
    if missing:
        raise SuiteError(f"suite {suite.name!r} needs the parameters {missing}; got {sorted(parameters)}")

    df = numpy_integers(nanosecond_datetimes(df.reset_index(drop=True)))  # failing rows are reported by position
    if docs_dir is not None:
        docs_dir = Path(docs_dir).resolve()
    context = _context(docs_dir)
    gx_suite = great_expectations.ExpectationSuite(
        name=suite_name,
        expectations=[ExpectationConfiguration(**entry).to_domain_obj() for entry in entries],
        meta={"description": suite.description, "source": str(suite.path) if suite.path else None},
    )
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("whole_table")
    )
    with _docs_lock(docs_dir):  # the suite and the result go to the shared on-disk stores
        # add_or_update: the store may hold this name from an earlier validation.
        gx_suite = context.suites.add_or_update(gx_suite)
        definition = context.validation_definitions.add(
            great_expectations.ValidationDefinition(name=suite_name, data=batch, suite=gx_suite)
        )
        checkpoint = context.checkpoints.add(
            great_expectations.Checkpoint(
                name=suite_name,
                validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="update_data_docs", site_names=[_SITE])] if docs_dir and build_docs else [],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20},
            )
        )
        checkpoint_result = checkpoint.run(
            batch_parameters={"dataframe": df},
            expectation_parameters=parameters,
            run_id=RunIdentifier(run_name=run_name) if run_name else None,
        )
    (validation,) = checkpoint_result.run_results.values()
    failures = tuple(_failure(result, df) for result in validation.results if not result.success)
    statistics = validation.statistics
    return GateResult(
        suite_name=suite_name,
        success=bool(validation.success),
        evaluated=int(statistics["evaluated_expectations"]),
        successful=int(statistics["successful_expectations"]),
        failures=failures,
        docs_index=docs_dir / "index.html" if docs_dir else None,
    )


def merge_stores(source_docs_dir: Path, docs_dir: Path) -> None:
    """Copy the suites and validations stored under ``source_docs_dir`` into ``docs_dir``'s stores,
    so the next :func:`build_data_docs` of ``docs_dir`` shows them (each is a file of its own)."""
    source = Path(source_docs_dir) / _STORES
    if source.is_dir():
        Path(docs_dir).mkdir(parents=True, exist_ok=True)
        with _docs_lock(Path(docs_dir)):
            shutil.copytree(source, Path(docs_dir) / _STORES, dirs_exist_ok=True)


def build_data_docs(docs_dir: Path) -> Path:
    """Build the Data Docs site of ``docs_dir`` from every suite and validation stored there;
    returns its ``index.html``."""
    docs_dir = Path(docs_dir).resolve()
    context = _context(docs_dir)
    with _docs_lock(docs_dir):
        context.build_data_docs(site_names=[_SITE])
    return docs_dir / "index.html"


def nanosecond_datetimes(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its datetime columns in nanoseconds where their values fit (1677 to 2262).

    GX 1.24 compares a datetime column with a bound in one vectorised step only when the column
    is in nanoseconds; DuckDB hands pandas microseconds, and GX then calls a Python function for
    every value (about 20 s per timestamp column at 2.4 million customers). A column holding a
    value out of the nanosecond range is left as it is: slower, but checked the same.
    """
    converted = {}
    for column, dtype in df.dtypes.items():
        if not pd.api.types.is_datetime64_any_dtype(dtype):
            continue
        unit = dtype.unit if isinstance(dtype, pd.DatetimeTZDtype) else np.datetime_data(dtype)[0]
        if unit == "ns":
            continue
        target = pd.DatetimeTZDtype("ns", dtype.tz) if isinstance(dtype, pd.DatetimeTZDtype) else "datetime64[ns]"
        try:
            converted[column] = df[column].astype(target)
        except (OverflowError, pd.errors.OutOfBoundsDatetime):
            continue
    return df.assign(**converted) if converted else df


def numpy_integers(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its nullable integer columns (pandas ``Int64`` and kin) as numpy numbers.

    DuckDB hands pandas an integer column holding nulls as a nullable ``Int64`` (and an INTEGER
    column as ``int32``). GX 1.24 checks a range on those by calling a Python function for every
    value (about 3 s per column at 2.4 million customers); on ``int64`` or ``float64`` it is one
    vectorised step. A column without nulls becomes ``int64``, one with nulls ``float64`` (NaN is
    null to GX, as NA was): integers below 2**53 stay exact.
    """
    converted = {}
    for column, dtype in df.dtypes.items():
        if not pd.api.types.is_integer_dtype(dtype) or dtype == np.int64 or dtype == np.uint64:
            continue  # GX compares int64 in one step; uint64 may not fit int64
        values = df[column]
        converted[column] = values.astype("float64") if values.hasnans else values.astype("int64")
    return df.assign(**converted) if converted else df


def _context(docs_dir: Path | None) -> Any:
    """An ephemeral GX context; with ``docs_dir``, with filesystem stores and a Data Docs site there."""
    great_expectations = gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        for store, class_name, folder in (
            ("expectations_store", "ExpectationsStore", "expectations"),
            ("validation_results_store", "ValidationResultsStore", "validations"),
        ):
            config.stores[store] = {
                "class_name": class_name,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir / _STORES / folder),
                },
            }
        config.data_docs_sites = {
            _SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            }
        }
    return great_expectations.get_context(project_config=config, mode="ephemeral")


@contextlib.contextmanager
def _docs_lock(docs_dir: Path | None) -> Iterator[None]:
    """Serialise writes to a Data Docs site across threads and processes."""
    if docs_dir is None:
        yield
        return
    with _thread_lock, open(Path(docs_dir) / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _failure(result: Any, df: pd.DataFrame) -> Failure:
    config = result.expectation_config
    kwargs = {key: value for key, value in config.kwargs.items() if key not in ("batch_id",)}
    details = result.result or {}
    columns = [kwargs[key] for key in ("column", "column_A", "column_B") if isinstance(kwargs.get(key), str)]
    columns += [c for c in kwargs.get("column_list", []) or [] if isinstance(c, str)]
    exception = _exception_message(result.exception_info)
    sample_values: list[Any] = []
    for value in details.get("partial_unexpected_list") or []:
        value = _json_safe(value)
        if value not in sample_values:
            sample_values.append(value)
        if len(sample_values) == SAMPLE_SIZE:
            break
    sample_rows = []
    row_columns = [c for c in (*KEY_COLUMNS, *columns) if c in df.columns]
    row_columns = list(dict.fromkeys(row_columns))
    for position in (details.get("partial_unexpected_index_list") or [])[:SAMPLE_SIZE]:
        if isinstance(position, int) and 0 <= position < len(df) and row_columns:
            sample_rows.append(_json_safe(df.iloc[position][row_columns].to_dict()))
    return Failure(
        expectation_type=config.type,
        column=", ".join(columns) or None,
        kwargs=_json_safe(kwargs),
        observed_value=_json_safe(details.get("observed_value")),
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        sample_values=sample_values,
        sample_rows=sample_rows,
        exception=exception,
        why=(config.meta or {}).get("why"),
    )


def _exception_message(info: Any) -> str | None:
    """The first error message in GX's exception info: flat, or keyed by the failing metric."""
    if not isinstance(info, Mapping):
        return None
    candidates = [info] + [item for item in info.values() if isinstance(item, Mapping)]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            lines = str(candidate.get("exception_message") or "").strip().splitlines()
            return lines[0] if lines else "Great Expectations raised an exception"
    return None


def _json_safe(value: Any) -> Any:
    """Plain JSON types: NaN/NaT → None, timestamps → ISO strings, numpy scalars → Python."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(item) for item in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalar
        return _json_safe(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
