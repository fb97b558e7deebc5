"""When the dbt manifest is parsed again before definitions load."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

from dagster_project.assets.dbt_project import _PARSED_WITH, _manifest_is_stale

PATHS = {"CDP_WORK_DATABASE": "/w/work/cdp.duckdb", "CDP_IDENTITY_REGISTRY": "/w/identity_registry.duckdb"}


def _project(tmp_path: Path, parsed_with: dict[str, str] | None) -> SimpleNamespace:
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "a.sql"
    model.write_text("select 1")
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (manifest.stat().st_mtime - 10,) * 2)  # the model is older than the manifest
    if parsed_with is not None:
        (manifest.parent / _PARSED_WITH).write_text(json.dumps(parsed_with))
    return SimpleNamespace(manifest_path=manifest, project_dir=tmp_path)


def test_a_manifest_parsed_for_the_same_paths_is_fresh(tmp_path: Path) -> None:
    assert not _manifest_is_stale(_project(tmp_path, PATHS), PATHS)


def test_a_manifest_parsed_for_other_paths_is_stale(tmp_path: Path) -> None:
    # dbt would re-parse the whole project in every run with a profile rendered for other paths
    assert _manifest_is_stale(_project(tmp_path, PATHS | {"CDP_WORK_DATABASE": "/elsewhere.duckdb"}), PATHS)


def test_a_manifest_without_its_paths_is_stale(tmp_path: Path) -> None:
    assert _manifest_is_stale(_project(tmp_path, None), PATHS)


def test_a_model_newer_than_the_manifest_makes_it_stale(tmp_path: Path) -> None:
    project = _project(tmp_path, PATHS)
    model = tmp_path / "models" / "a.sql"
    os.utime(model, (project.manifest_path.stat().st_mtime + 10,) * 2)
    assert _manifest_is_stale(project, PATHS)


def test_the_gate_starts_when_only_segments_are_left_to_build() -> None:
    """The dbt step starts the gate's import and worker once every selected model but the segments
    is built (assets/transform.py _GateStart): not at the first segment, which dbt may build before
    the last marts."""
    from dagster import Output

    from dagster_project.assets.transform import _built_table, _GateStart, _model_tables

    def built(unique_id: str) -> Output:
        return Output(None, metadata={"unique_id": unique_id})

    tables = _model_tables()
    assert _built_table(built("model.cdp.customers")).qualifier == '"marts"'
    assert _built_table(built("test.cdp.unique_customers_customer_id")) is None
    segments = [u for u, t in tables.items() if t.is_segment]
    others = [u for u, t in tables.items() if not t.is_segment and u != "model.cdp.customer_metrics"]
    assert "model.cdp.anonymous_high_intent_visitors" in segments and "model.cdp.customers" in others

    # as dbt orders them: a segment that needs only web data before the last mart
    order = [*others, "model.cdp.anonymous_high_intent_visitors", "test.cdp.unique_customers_customer_id",
             "model.cdp.customer_metrics", *[u for u in segments if u != "model.cdp.anonymous_high_intent_visitors"]]
    start = _GateStart({t.asset_key for t in tables.values()})
    due = [unique_id for unique_id in order if start.is_due(built(unique_id))]
    assert due == ["model.cdp.customer_metrics"]

    # no segment selected: the gate prepares itself
    without_segments = _GateStart({t.asset_key for t in tables.values() if not t.is_segment})
    assert not any(without_segments.is_due(built(unique_id)) for unique_id in order)

    # only segments selected: the first one built
    only_segments = _GateStart({tables[u].asset_key for u in segments})
    assert [u for u in segments if only_segments.is_due(built(u))] == segments[:1]
