"""Segments, the quality gate and the exports, on the real pipeline over the bundled sample.

A good run publishes every export; a corrupted warehouse (a duplicated customer id, a member
without consent, a segment that shrinks by 90 %) fails the blocking gate, and then no export file
is written or replaced and no membership change is recorded.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.publishing.layout import work_database_of
from dagster_project import run as cli
from dagster_project.settings import DBT_PROJECT_DIR, PROJECT_ROOT, SAMPLE_LANDING_DIR

pytestmark = pytest.mark.integration

SEGMENTS = ["anonymous_high_intent_visitors", "cart_abandoners", "high_value_customers", "lapsed_customers", "offline_only_shoppers"]


def _args(root: Path, *extra: str) -> list[str]:
    return ["--landing-dir", str(root / "landing"), "--warehouse", str(root / "warehouse" / "cdp.duckdb"), *extra]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse, registry and exports after two good runs on the sample (the second adds nothing)."""
    root = tmp_path_factory.mktemp("activation")
    shutil.copytree(SAMPLE_LANDING_DIR, root / "landing")
    assert cli.main(_args(root)) == 0
    assert cli.main(_args(root)) == 0
    return root


@pytest.fixture
def copy_of_published(published: Path, tmp_path: Path) -> Path:
    """A private copy of the published state, to corrupt."""
    target = tmp_path / "copy"
    shutil.copytree(published, target, symlinks=True)
    return target


def _read(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(work_database_of(root / "warehouse" / "cdp.duckdb")), read_only=True) as conn:
        conn.execute(f"attach '{root / 'warehouse' / 'identity_registry.duckdb'}' as registry (read_only)").fetchall()
        return conn.execute(sql).fetchall()


def _snapshot(exports: Path) -> dict[str, str]:
    """Every file's SHA-256 and every link's target under the exports directory."""
    state = {}
    for path in sorted(exports.rglob("*")):
        key = str(path.relative_to(exports))
        if path.is_symlink():
            state[key] = "-> " + os.readlink(path)
        elif path.is_file():
            state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_exportable_segment_is_published_with_a_matching_manifest(published: Path) -> None:
    exports = published / "warehouse" / "exports"
    for segment in SEGMENTS:
        members = _read(published, f"select count(*) from segments.{segment}")[0][0]
        files = exports / "files" / segment
        if segment == "anonymous_high_intent_visitors":
            assert not files.exists(), "a segment without consent must never be exported"
            continue
        manifest = json.loads((files / "manifest.json").read_text())
        assert manifest["row_count"] == members == len(_csv_rows(files / "members.csv"))
        for entry in manifest["files"]:
            assert hashlib.sha256((files / entry["name"]).read_bytes()).hexdigest() == entry["sha256"]


def test_exported_members_all_consented_to_the_segments_channel(published: Path) -> None:
    exports = published / "warehouse" / "exports"
    consent = dict(_read(published, "select customer_id, email_consent from marts.customer_metrics"))
    ads = dict(_read(published, "select customer_id, ads_consent from marts.customer_metrics"))
    for segment, channel in [("high_value_customers", consent), ("lapsed_customers", consent), ("cart_abandoners", ads)]:
        rows = _csv_rows(exports / "files" / segment / "members.csv")
        assert rows and all(channel[row["customer_id"]] for row in rows), segment


def test_ad_audiences_hash_the_golden_email_and_phone_by_each_platforms_rules(published: Path) -> None:
    golden = {cid: (email, phone) for cid, email, phone in _read(published, "select customer_id, email, phone from marts.customers")}
    exports = published / "warehouse" / "exports"
    google = _csv_rows(exports / "google_ads" / "cart_abandoners" / "members.csv")
    meta = _csv_rows(exports / "meta_ads" / "cart_abandoners" / "members.csv")
    assert google and len(google) == len(meta)
    sha = lambda text: hashlib.sha256(text.encode()).hexdigest()  # noqa: E731
    for row in google:
        email, phone = golden[row["customer_id"]]
        if email:
            local, domain = email.strip().lower().split("@")
            if domain in ("gmail.com", "googlemail.com"):
                local = local.replace(".", "")
            assert row["Email"] == sha(f"{local}@{domain}")
        if phone:
            assert row["Phone"] == sha(phone)  # already E.164 with the +
    for row in meta:
        email, phone = golden[row["customer_id"]]
        if email:
            assert row["email"] == sha(email.strip().lower())
        if phone:
            assert row["phone"] == sha(phone.lstrip("+"))


def test_crm_update_file_carries_every_crm_contact_with_its_segments(published: Path) -> None:
    rows = _csv_rows(published / "warehouse" / "exports" / "crm" / "customer_updates" / "members.csv")
    contacts = _read(published, "select count(*) from intermediate.int_crm__contacts_latest")[0][0]
    assert len(rows) == contacts
    memberships = {}
    for segment, customer_id in _read(published, "select segment, customer_id from activation.segment_memberships"):
        memberships.setdefault(customer_id, set()).add(segment)
    for row in rows:
        assert set(filter(None, row["segments"].split("|"))) == memberships.get(row["customer_id"], set())


def test_a_run_without_new_data_changes_no_membership_and_exports_an_empty_delta(published: Path) -> None:
    changes = _read(published, "select change, count(distinct run_id), count(*) from activation.segment_membership_changes group by change")
    assert [(change, runs) for change, runs, _ in changes] == [("entered", 1)], "the second run must record no change"
    manifest = json.loads((published / "warehouse" / "exports" / "files" / "high_value_customers" / "manifest.json").read_text())
    assert manifest["delta"]["adds"] == 0 and manifest["delta"]["removes"] == 0
    assert manifest["delta"]["previous_version_id"] is not None


@pytest.mark.parametrize(
    ("corruption", "failing_table"),
    [
        ("insert into marts.customers select * from marts.customers limit 1", "marts/customers"),
        # validated in the gate's worker process (dagster_project/quality/targets.py)
        ("insert into marts.customer_metrics select * from marts.customer_metrics limit 1", "marts/customer_metrics"),
        (
            """insert into segments.high_value_customers (customer_id)
               select customer_id from marts.customer_metrics where not email_consent limit 1""",
            "segments/high_value_customers",
        ),
        ("delete from segments.high_value_customers where hash(customer_id) % 10 <> 0", "segments/high_value_customers"),
    ],
    ids=["duplicated_customer_id", "duplicated_metrics_row", "member_without_consent", "segment_shrinks_90_percent"],
)
def test_a_failing_gate_writes_and_replaces_no_export(
    copy_of_published: Path, corruption: str, failing_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_of_published
    exports = root / "warehouse" / "exports"
    before = _snapshot(exports)
    history_before = _read(root, "select count(*) from registry.main.segment_membership_changes")
    with duckdb.connect(str(work_database_of(root / "warehouse" / "cdp.duckdb"))) as conn:
        conn.execute(corruption)

    assert cli.main(_args(root, "--job", "cdp_activation")) == 1

    assert _snapshot(exports) == before
    assert _read(root, "select count(*) from registry.main.segment_membership_changes") == history_before
    report = capsys.readouterr().out
    assert f"{failing_table} failed:" in report
    assert "none published: the previous exports are unchanged" in report


def test_the_gate_passes_again_once_the_warehouse_is_sound(copy_of_published: Path) -> None:
    """cdp_activation on an untouched warehouse: the gate passes, exports re-publish with no change."""
    assert cli.main(_args(copy_of_published, "--job", "cdp_activation")) == 0
    data_docs = sorted((copy_of_published / "warehouse" / "data_docs").glob("*/index.html"))
    site = data_docs[-1].read_text() if data_docs else ""
    # every suite, the one validated in the worker process included (its stores merged into the run's)
    assert all(name in site for name in ("segment.cart_abandoners", "customers", "customer_metrics"))
    assert not (data_docs[-1].parent / ".worker").exists()


def test_the_gate_validates_every_target_itself_where_no_worker_process_can_start(
    copy_of_published: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where a process cannot be spawned (no /dev/shm, a process limit), the gate still passes or
    fails on every target, validated in its own process, and the exports are published."""
    from dagster_project.quality import targets

    targets.stop_worker()

    def no_process() -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(targets, "_running_worker", no_process)
    assert cli.main(_args(copy_of_published, "--job", "cdp_activation")) == 0
    data_docs = sorted((copy_of_published / "warehouse" / "data_docs").glob("*/index.html"))
    assert "customer_metrics" in data_docs[-1].read_text()
    gate_lines = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("marts/customer_metrics ")]
    assert gate_lines and gate_lines[0][1] == "passed" and int(gate_lines[0][2].replace(",", "")) > 0


def test_a_new_segment_file_becomes_assets_and_checks_without_code_changes(tmp_path: Path) -> None:
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "models" / "segments" / "sms_reachable_shoppers.sql").write_text(
        "select customer_id from {{ ref('customer_metrics') }} where sms_consent and total_orders > 0\n"
    )
    (project / "models" / "segments" / "_sms_reachable_shoppers.yml").write_text(
        """version: 2
models:
  - name: sms_reachable_shoppers
    description: Buyers who accept text messages.
    config:
      meta:
        cdp:
          segment:
            owner: mobile-team
            consent_channel: sms
            exported_columns: [customer_id]
            destinations: [files]
"""
    )
    listing = (
        "from dagster_project.definitions import defs\n"
        "repo = defs.get_repository_def()\n"
        "print(sorted('/'.join(k.path) for k in repo.asset_graph.get_all_asset_keys()))\n"
        "print(sorted('/'.join(k.asset_key.path) for k in repo.asset_graph.asset_check_keys if k.name == 'great_expectations'))\n"
    )
    env = {**os.environ, "CDP_DBT_PROJECT_DIR": str(project)}
    out = subprocess.run([sys.executable, "-c", listing], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True)
    assets, checks = (line for line in out.stdout.splitlines()[-2:])
    assert "'segments/sms_reachable_shoppers'" in assets
    assert "'exports/files/sms_reachable_shoppers'" in assets
    assert "'segments/sms_reachable_shoppers'" in checks
