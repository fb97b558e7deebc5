"""The gate's default limits, read from ``data_quality/gate.yml`` (the one place they live)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dagster_project.settings import PROJECT_ROOT

DATA_QUALITY_DIR = PROJECT_ROOT / "data_quality"
GATE_CONFIG_PATH = DATA_QUALITY_DIR / "gate.yml"


class GateConfigError(ValueError):
    """``gate.yml`` is missing a limit, has an unknown one, or a value of the wrong kind."""


@dataclass(frozen=True)
class GateConfig:
    """Default limits of the data quality gate (documented in ``data_quality/gate.yml``)."""

    #: Allowed relative change of a table's row count against the previous run (0.5 = ±50 %).
    volume_tolerance: float
    #: Rows a table may always gain or lose, whatever its size: small segments swing by a few members.
    volume_slack_rows: int
    #: Most source records (CRM contacts + web events + POS transactions) one customer may have.
    max_customer_records: int
    #: Largest share of previously seen identity nodes whose customer id may change in one run.
    max_changed_id_share: float

    @property
    def suite_parameters(self) -> dict[str, Any]:
        """The values suites refer to as ``{"$PARAMETER": name}``."""
        return {
            "max_customer_records": self.max_customer_records,
            "max_changed_id_share": self.max_changed_id_share,
        }


def load_gate_config(path: Path = GATE_CONFIG_PATH) -> GateConfig:
    """Read and check the gate's limits; a clear :class:`GateConfigError` names what is wrong."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise GateConfigError(f"{path}: cannot read the gate configuration: {error}") from error
    if not isinstance(raw, dict):
        raise GateConfigError(f"{path}: expected a mapping of limit names to values")
    expected = {
        "volume_tolerance": float, "volume_slack_rows": int, "max_customer_records": int, "max_changed_id_share": float,
    }
    unknown = sorted(set(raw) - set(expected))
    missing = sorted(set(expected) - set(raw))
    if unknown or missing:
        raise GateConfigError(f"{path}: unknown limits {unknown}, missing limits {missing}")
    values: dict[str, Any] = {}
    for key, kind in expected.items():
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise GateConfigError(f"{path}: {key} must be a non-negative number, got {value!r}")
        if kind is int and not float(value).is_integer():
            raise GateConfigError(f"{path}: {key} must be a whole number, got {value!r}")
        values[key] = kind(value)
    if values["max_changed_id_share"] > 1:
        raise GateConfigError(f"{path}: max_changed_id_share is a share between 0 and 1")
    return GateConfig(**values)
