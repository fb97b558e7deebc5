"""The data quality gate: Great Expectations suites, kept as JSON in ``data_quality/suites/``,
validated against pandas DataFrames read from the warehouse (see ``data_quality/README.md``).

Great Expectations is imported lazily (it takes seconds), so importing this package is cheap.
"""

from dagster_project.quality.config import GATE_CONFIG_PATH, GateConfig, GateConfigError, load_gate_config
from dagster_project.quality.expectations import (
    CONSENT_CHANNELS,
    consent_expectations,
    expectation_columns,
    not_in_future_expectations,
    volume_expectation,
)
from dagster_project.quality.gate import (
    KEY_COLUMNS,
    Failure,
    GateResult,
    build_data_docs,
    nanosecond_datetimes,
    numpy_integers,
    validate,
)
from dagster_project.quality.suites import SUITES_DIR, Suite, SuiteError, load_suite, load_suites

__all__ = [
    "CONSENT_CHANNELS",
    "GATE_CONFIG_PATH",
    "KEY_COLUMNS",
    "SUITES_DIR",
    "Failure",
    "GateConfig",
    "GateConfigError",
    "GateResult",
    "Suite",
    "SuiteError",
    "build_data_docs",
    "consent_expectations",
    "expectation_columns",
    "load_gate_config",
    "load_suite",
    "load_suites",
    "nanosecond_datetimes",
    "numpy_integers",
    "not_in_future_expectations",
    "validate",
    "volume_expectation",
]
