"""Expectation suites kept as JSON files in ``data_quality/suites/<name>.json``.

A suite file is Great Expectations' own suite shape, so anyone who knows GX can read it::

    {
      "name": "customers",
      "description": "What the unified customer table must look like.",
      "expectations": [
        {"type": "expect_column_values_to_not_be_null",
         "kwargs": {"column": "customer_id"},
         "meta": {"why": "every profile needs its id"}}
      ]
    }

Values that are only known at run time are GX suite parameters: ``{"$PARAMETER": "name"}``
anywhere in ``kwargs``, resolved from the ``parameters`` dict given to
:func:`dagster_project.quality.gate.validate` (defaults from ``data_quality/gate.yml``).

Loading checks every entry against Great Expectations (the expectation type exists and its
kwargs are valid for it) so a typo fails when the suite is loaded, with the file and the entry
named, not in the middle of a pipeline run.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from dagster_project.quality._gx import gx
from dagster_project.quality.config import DATA_QUALITY_DIR

SUITES_DIR = DATA_QUALITY_DIR / "suites"

#: Suite names double as file names in the Data Docs stores.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SUITE_KEYS = {"name", "description", "expectations", "meta"}
_ENTRY_KEYS = {"type", "kwargs", "meta"}


class SuiteError(ValueError):
    """A suite file (or an extra expectation) that Great Expectations cannot use."""


@dataclass(frozen=True)
class Suite:
    """One loaded, checked suite. ``expectations`` are plain dicts in GX's configuration shape."""

    name: str
    description: str
    expectations: tuple[Mapping[str, Any], ...]
    path: Path | None = None

    @property
    def parameters(self) -> frozenset[str]:
        """Names of the suite parameters (``{"$PARAMETER": name}``) the suite needs at run time."""
        return frozenset(name for entry in self.expectations for name in parameter_names(entry["kwargs"]))


def parameter_names(value: Any) -> Iterable[str]:
    """Every ``{"$PARAMETER": name}`` placeholder name inside ``value`` (recursively)."""
    if isinstance(value, Mapping):
        if "$PARAMETER" in value:
            yield value["$PARAMETER"]
        else:
            for item in value.values():
                yield from parameter_names(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from parameter_names(item)


def check_expectation(entry: Any, where: str) -> dict[str, Any]:
    """Check one expectation entry and return a normalised copy (``type``, ``kwargs``, ``meta``).

    ``where`` names the entry in error messages, e.g. ``"data_quality/suites/x.json, expectation #3"``.
    """
    if not isinstance(entry, Mapping):
        raise SuiteError(f"{where}: an expectation must be an object with 'type' and 'kwargs', got {entry!r}")
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise SuiteError(f"{where}: unknown keys {unknown} (allowed: type, kwargs, meta)")
    expectation_type = entry.get("type")
    if not isinstance(expectation_type, str) or not expectation_type:
        raise SuiteError(f"{where}: 'type' must be the name of a Great Expectations expectation")
    where = f"{where} ({expectation_type})"
    kwargs = entry.get("kwargs", {})
    meta = entry.get("meta", {})
    if not isinstance(kwargs, Mapping):
        raise SuiteError(f"{where}: 'kwargs' must be an object")
    if not isinstance(meta, Mapping):
        raise SuiteError(f"{where}: 'meta' must be an object")
    for name in parameter_names(kwargs):
        if not isinstance(name, str) or not _PARAMETER_NAME.match(name):
            raise SuiteError(f"{where}: a $PARAMETER must be a plain name (letters, digits, _), got {name!r}")

    great_expectations = gx()
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        get_expectation_impl(expectation_type)
    except ExpectationNotFoundError:
        raise SuiteError(
            f"{where}: Great Expectations {great_expectations.__version__} has no expectation "
            f"type {expectation_type!r} (see https://greatexpectations.io/expectations/)"
        ) from None
    normalised = {"type": expectation_type, "kwargs": copy.deepcopy(dict(kwargs)), "meta": copy.deepcopy(dict(meta))}
    try:
        ExpectationConfiguration(**copy.deepcopy(normalised)).to_domain_obj()
    except Exception as error:  # pydantic's ValidationError and GX's configuration errors
        details = " ".join(str(error).split())
        raise SuiteError(f"{where}: invalid kwargs {dict(kwargs)!r}: {details}") from error
    return normalised


def load_suite(name_or_path: str | Path, *, suites_dir: Path = SUITES_DIR) -> Suite:
    """Load and check a suite, by name (``"customers"`` → ``suites_dir/customers.json``) or path.

    Raises :class:`SuiteError` naming the file and the offending entry when the JSON is
    malformed, the file's ``name`` differs from its file name, an expectation type does not
    exist in Great Expectations or its kwargs are invalid for it.
    """
    path = Path(name_or_path)
    if path.suffix != ".json" and len(path.parts) == 1:
        path = suites_dir / f"{path}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SuiteError(f"{path}: cannot read the suite: {error}") from error
    except json.JSONDecodeError as error:
        raise SuiteError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}") from error
    if not isinstance(raw, dict):
        raise SuiteError(f"{path}: a suite must be a JSON object with 'name' and 'expectations'")
    unknown = sorted(set(raw) - _SUITE_KEYS)
    if unknown:
        raise SuiteError(f"{path}: unknown keys {unknown} (allowed: {', '.join(sorted(_SUITE_KEYS))})")
    name = raw.get("name")
    if name != path.stem:
        raise SuiteError(f"{path}: 'name' must be the file name without .json ({path.stem!r}), got {name!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SuiteError(f"{path}: 'description' must be a string")
    entries = raw.get("expectations")
    if not isinstance(entries, list) or not entries:
        raise SuiteError(f"{path}: 'expectations' must be a non-empty list")
    expectations = tuple(
        check_expectation(entry, f"{path}, expectation #{number}") for number, entry in enumerate(entries, start=1)
    )
    return Suite(name=name, description=description, expectations=expectations, path=path)


def load_suites(suites_dir: Path = SUITES_DIR) -> dict[str, Suite]:
    """Every suite in ``suites_dir``, by name."""
    return {path.stem: load_suite(path) for path in sorted(suites_dir.glob("*.json"))}
