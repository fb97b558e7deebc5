"""Measure identity resolution: score ``marts.customer_records`` against a ground truth.

Run ``python -m dagster_project.evaluate --people N`` (generated data) or
``--landing DIR --truth FILE.csv`` (your data). Module map: ``metrics`` (set-based pairwise
scoring in DuckDB and the report dataclasses), ``report`` (text and JSON), ``inputs``
(reading the truth CSV and the warehouse table), ``workspace`` (scratch directory,
generated-data reuse, the pipeline run with scratch paths).
"""

from .metrics import EvaluationReport, PairScore, score
from .report import format_report, report_to_dict

__all__ = ["EvaluationReport", "PairScore", "format_report", "report_to_dict", "score"]
