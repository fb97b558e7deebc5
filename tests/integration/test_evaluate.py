"""``python -m dagster_project.evaluate`` end to end.

The end-to-end tests run the real pipeline and need the identity-resolution mart, so they
are skipped until ``dbt/models/marts/identity/customer_records.sql`` exists. The command's
own behaviour (modes, scratch paths, reuse, thresholds, errors) is tested now, with the
pipeline replaced by a stand-in that writes ``marts.customer_records`` from the truth.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from dagster_project import run as pipeline_cli
from dagster_project.evaluate.__main__ import main
from dagster_project.generate import generate
from dagster_project.publishing.layout import work_database_of
from dagster_project.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration

CUSTOMER_RECORDS_MODEL = PROJECT_ROOT / "dbt" / "models" / "marts" / "identity" / "customer_records.sql"
requires_customer_records = pytest.mark.skipif(
    not CUSTOMER_RECORDS_MODEL.exists(),
    reason=f"marts.customer_records is not built by the pipeline yet ({CUSTOMER_RECORDS_MODEL.relative_to(PROJECT_ROOT)} is absent)",
)
WATCHED_ENV = ("CDP_IDENTITY_REGISTRY", "CDP_WAREHOUSE", "CDP_WORK_DATABASE", "CDP_EXPORTS_DIR", "CDP_LANDING_DIR", "DAGSTER_HOME")


def _truth_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_truth(path: Path, rows: list[dict[str, str]], id_column: str = "person_id") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "record_key", id_column])
        writer.writerows([r["source"], r["record_key"], r["person_id"]] for r in rows)
    return path


def _arg(argv: list[str], flag: str) -> Path:
    return Path(argv[argv.index(flag) + 1])


# -- with a stand-in pipeline (runs now) --------------------------------------------------------


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[dict[str, object]]]:
    """Replace the pipeline CLI with one that writes ``marts.customer_records`` from the
    ``ground_truth.csv`` beside the landing directory (customer = person, except that
    ``merge`` maps people to one shared customer), recording the paths and variables it saw."""

    def install(exit_code: int = 0, merge: frozenset[str] = frozenset()) -> list[dict[str, object]]:
        calls: list[dict[str, object]] = []

        def fake_main(argv: list[str]) -> int:
            landing, warehouse = _arg(argv, "--landing-dir"), _arg(argv, "--warehouse")
            calls.append({"landing": landing, "warehouse": warehouse, "existed": warehouse.exists(),
                          "registry": _arg(argv, "--identity-registry"),
                          "env": {name: os.environ.get(name) for name in WATCHED_ENV}})
            if exit_code:
                print("  step stand_in: failed on purpose")
                return exit_code
            rows = [(r["source"], r["record_key"], "MERGED" if r["person_id"] in merge else r["person_id"])
                    for r in _truth_rows(landing.parent / "ground_truth.csv")]
            work_database_of(warehouse).parent.mkdir(parents=True, exist_ok=True)
            with duckdb.connect(str(work_database_of(warehouse))) as conn:
                conn.execute("create schema marts")
                conn.execute("create table marts.customer_records (source varchar, record_key varchar, customer_id varchar)")
                conn.executemany("insert into marts.customer_records values (?, ?, ?)", rows[1:])  # first one "rejected"
            return 0

        monkeypatch.setattr(pipeline_cli, "main", fake_main)
        return calls

    return install


@pytest.fixture
def own_data(tmp_path: Path) -> tuple[Path, Path]:
    """A user's landing directory (web only) and truth file, side by side."""
    root = tmp_path / "mine"
    (root / "landing" / "web").mkdir(parents=True)
    rows = [("web", "m1", "P1"), ("web", "m2", "P1"), ("web", "m3", "P2"), ("web", "m4", "P3"), ("web", "m5", "P3")]
    truth = _write_truth(root / "ground_truth.csv", [dict(zip(("source", "record_key", "person_id"), r)) for r in rows])
    return root / "landing", truth


def test_people_mode_uses_scratch_paths_and_reuses_generated_data(stand_in, tmp_path, capsys) -> None:
    calls = stand_in()
    workdir, report_path = tmp_path / "work", tmp_path / "out" / "report.json"
    before = {name: os.environ.get(name) for name in WATCHED_ENV}
    args = ["--people", "40", "--seed", "3", "--days", "2", "--workdir", str(workdir), "--json", str(report_path)]

    assert main(args) == 0
    first = json.loads(report_path.read_text())
    assert main(args) == 0
    second = json.loads(report_path.read_text())

    assert {name: os.environ.get(name) for name in WATCHED_ENV} == before  # restored
    for call in calls:
        env = call["env"]
        assert env["CDP_IDENTITY_REGISTRY"] == str(call["registry"]) == str(workdir.resolve() / "pipeline" / "identity_registry.duckdb")
        assert env["CDP_WAREHOUSE"] == str(call["warehouse"]) and env["DAGSTER_HOME"] is None
        assert Path(call["warehouse"]).parent == workdir.resolve() / "pipeline"
        assert not call["existed"]  # every run starts from an empty warehouse
    assert (first["timings_seconds"]["generation_reused"], second["timings_seconds"]["generation_reused"]) == (False, True)
    truth = _truth_rows(workdir / "generated" / "ground_truth.csv")
    assert first["inputs"] == {"people": 40, "seed": 3, "days": 2}
    assert first["coverage"]["truth_records"] == len(truth)
    assert first["coverage"]["missing_records"] == 1
    assert first["precision"] == 1.0 and first["passed"] is True
    assert first["true_people"] == len({r["person_id"] for r in truth})
    out = capsys.readouterr().out
    assert "reused data generated earlier" in out and "Timings" in out and "scoring" in out

    assert main([*args[:3], "4", *args[4:]]) == 0  # another seed: generated afresh
    assert json.loads(report_path.read_text())["timings_seconds"]["generation_reused"] is False


def test_landing_mode_scores_an_over_merge_and_applies_thresholds(stand_in, own_data, tmp_path, capsys) -> None:
    stand_in(merge=frozenset({"P2", "P3"}))
    landing, truth = own_data
    report_path = tmp_path / "report.json"
    base = ["--landing", str(landing), "--truth", str(truth), "--json", str(report_path)]

    assert main([*base, "--min-recall", "0.5"]) == 0
    # m1 is "rejected" (a singleton): P1's pair is missed; P2+P3 share a customer: 2 false pairs.
    report = json.loads(report_path.read_text())
    assert (report["pairs"]["true_positives"], report["pairs"]["predicted_pairs"], report["pairs"]["true_pairs"]) == (1, 3, 2)
    assert report["over_merges"][0]["customer_id"] == "MERGED"
    assert report["mode"] == "landing" and report["timings_seconds"]["generation"] is None
    assert "Biggest over-merged customers" in capsys.readouterr().out

    assert main([*base, "--min-precision", "0.9"]) == 1
    assert json.loads(report_path.read_text())["passed"] is False
    assert "precision 0.3333 is below --min-precision 0.9" in capsys.readouterr().err


def test_a_truth_with_true_id_is_accepted(stand_in, own_data, tmp_path) -> None:
    stand_in()
    landing, truth = own_data
    renamed = _write_truth(tmp_path / "truth.csv", _truth_rows(truth), id_column="true_id")
    assert main(["--landing", str(landing), "--truth", str(renamed)]) == 0


def test_a_truth_without_an_id_column_is_refused_before_the_pipeline(stand_in, own_data, tmp_path, capsys) -> None:
    calls = stand_in()
    landing, _ = own_data
    bad = tmp_path / "bad.csv"
    bad.write_text("source,record_key,who\nweb,m1,P1\n")
    assert main(["--landing", str(landing), "--truth", str(bad)]) == 2
    assert f"{bad}: missing required column(s) person_id or true_id" in capsys.readouterr().err
    assert calls == []


def test_a_failed_pipeline_exits_1_and_says_so(stand_in, own_data, capsys) -> None:
    stand_in(exit_code=1)
    landing, truth = own_data
    assert main(["--landing", str(landing), "--truth", str(truth)]) == 1
    assert "pipeline FAILED" in capsys.readouterr().err


def test_a_workdir_on_the_users_warehouse_is_refused(stand_in, own_data, tmp_path, monkeypatch, capsys) -> None:
    calls = stand_in()
    landing, truth = own_data
    monkeypatch.setenv("CDP_WAREHOUSE", str(tmp_path / "wh" / "cdp.duckdb"))
    assert main(["--landing", str(landing), "--truth", str(truth), "--workdir", str(tmp_path / "wh")]) == 2
    assert "would overwrite your own data" in capsys.readouterr().err
    assert calls == []


@pytest.mark.parametrize("argv", [["--landing", "x"], ["--people", "5", "--truth", "t.csv"],
                                  ["--landing", "x", "--truth", "t.csv", "--seed", "1"], []])
def test_inconsistent_arguments_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


# -- the real pipeline (once the identity-resolution mart exists) -------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated data set: landing/ and ground_truth.csv."""
    root = tmp_path_factory.mktemp("evaluate")
    generate(60, 11, root, days=3)
    return root


def _user_warehouse_state() -> tuple[bool, float | None]:
    path = PROJECT_ROOT / "warehouse" / "cdp.duckdb"
    return path.exists(), path.stat().st_mtime if path.exists() else None


@requires_customer_records
def test_landing_mode_end_to_end(tiny: Path, tmp_path: Path) -> None:
    truth = _truth_rows(tiny / "ground_truth.csv")
    truth_file = _write_truth(tmp_path / "truth.csv", truth, id_column="true_id")
    report_path, workdir = tmp_path / "report.json", tmp_path / "work"
    user_warehouse = _user_warehouse_state()

    code = main(["--landing", str(tiny / "landing"), "--truth", str(truth_file), "--workdir", str(workdir),
                 "--json", str(report_path)])

    assert code == 0
    report = json.loads(report_path.read_text())
    assert report["coverage"]["truth_records"] == len(truth)
    assert report["true_people"] == len({r["person_id"] for r in truth})
    assert 0 < report["precision"] <= 1 and 0 < report["recall"] <= 1
    assert report["coverage"]["duplicate_keys"] == 0
    assert (workdir / "pipeline" / "cdp.duckdb").exists() and (workdir / "pipeline" / "work" / "cdp.duckdb").exists()
    assert _user_warehouse_state() == user_warehouse


@requires_customer_records
def test_an_absent_source_is_empty_and_its_records_count_as_missing(tiny: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(tiny / "landing", landing, ignore=shutil.ignore_patterns("web"))
    report_path = tmp_path / "report.json"

    code = main(["--landing", str(landing), "--truth", str(tiny / "ground_truth.csv"), "--json", str(report_path)])

    assert code == 0
    web_truth = sum(r["source"] == "web" for r in _truth_rows(tiny / "ground_truth.csv"))
    assert json.loads(report_path.read_text())["coverage"]["missing_by_source"]["web"] == web_truth
