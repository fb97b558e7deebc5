"""Analysts and the nightly run side by side, and recovery from a run that fails or is killed.

Every scenario starts from a published release of the bundled sample minus its last day, then
lands the last day and runs again. Whatever happens to that second run, the published warehouse
and exports are either exactly the first release or exactly the next one, and the run after it
completes without any clean-up by hand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project import run as cli
from dagster_project.publishing.layout import work_database_of
from dagster_project.settings import PROJECT_ROOT, SAMPLE_LANDING_DIR

pytestmark = pytest.mark.integration

LAST_DAY = "2026-01-30"


def _args(root: Path) -> list[str]:
    return ["--landing-dir", str(root / "landing"), "--warehouse", str(root / "warehouse" / "cdp.duckdb")]


@pytest.fixture(scope="module")
def first_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample without its last day, published once; the last day waits in held_back/."""
    root = tmp_path_factory.mktemp("publishing")
    shutil.copytree(SAMPLE_LANDING_DIR, root / "landing")
    (root / "held_back").mkdir()
    for path in (root / "landing").glob(f"*/*{LAST_DAY}*"):
        shutil.move(path, root / "held_back" / f"{path.parent.name}__{path.name}")
    assert cli.main(_args(root)) == 0
    return root


@pytest.fixture
def deployment(first_release: Path, tmp_path: Path) -> Path:
    """A private copy of the first release, with the last day landed (not yet loaded)."""
    root = tmp_path / "deployment"
    shutil.copytree(first_release, root, symlinks=True)
    for held in (root / "held_back").iterdir():
        folder, name = held.name.split("__", 1)
        shutil.move(held, root / "landing" / folder / name)
    return root


def _published(root: Path) -> dict[str, str]:
    """What analysts and destinations see: the release link and every published file's bytes."""
    warehouse = root / "warehouse"
    state = {"release": os.readlink(warehouse / "releases" / "current")}
    for public in (warehouse / "cdp.duckdb", warehouse / "cdp_pii.duckdb"):
        state[public.name] = hashlib.sha256(public.read_bytes()).hexdigest()
    for path in sorted((warehouse / "exports").rglob("*")):
        if path.is_file():
            state[str(path.relative_to(warehouse))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def _analyst_view(conn: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """Three figures that must agree within one release: customers, graph health, known customers."""
    return conn.execute(
        """select (select count(*) from marts.customers),
                  (select customers from marts.identity_graph_health),
                  (select count(*) from marts.customer_metrics)"""
    ).fetchall()[0]


def _run_subprocess(root: Path, fault: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "CDP_FAULT_AT": fault or ""}
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen(
        [sys.executable, "-m", "dagster_project.run", *_args(root)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def _registry_runs(root: Path) -> set[str]:
    with duckdb.connect(str(root / "warehouse" / "identity_registry.duckdb"), read_only=True) as conn:
        return {row[0] for row in conn.execute("select distinct run_id from customer_id_assignments").fetchall()}


def test_an_open_analyst_connection_neither_blocks_the_run_nor_sees_a_mix(deployment: Path) -> None:
    warehouse = deployment / "warehouse" / "cdp.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as analyst:
        before = _analyst_view(analyst)
        assert before[0] == before[1] == before[2]

        assert cli.main(_args(deployment)) == 0

        # The open connection still reads the release it opened, whole.
        assert _analyst_view(analyst) == before
    with duckdb.connect(str(warehouse), read_only=True) as fresh:
        after = _analyst_view(fresh)
    assert after[0] == after[1] == after[2]
    assert after != before, "the last day adds customers: a new connection sees the new release"


def test_the_analyst_warehouse_has_no_raw_pii_and_the_pii_warehouse_has_it(deployment: Path) -> None:
    warehouse = deployment / "warehouse"
    with duckdb.connect(str(warehouse / "cdp.duckdb"), read_only=True) as conn:
        schemas = {row[0] for row in conn.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts", "segments", "activation"}
        columns = conn.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
        ).fetchall()
        names = {column for _, _, column, _ in columns}
        assert not names & {"email", "phone", "street", "birth_date", "last_name"}
        assert {"email_sha256", "phone_sha256"} <= names
        for schema, table, column, data_type in columns:
            if data_type != "VARCHAR":
                continue
            leaked = conn.execute(
                f"""select count(*) from "{schema}"."{table}"
                    where regexp_matches("{column}", '[^ @]+@[^ @]+\\.[a-z]+') or regexp_matches("{column}", '\\+[0-9]{{8,}}')"""
            ).fetchall()[0][0]
            assert leaked == 0, f"{schema}.{table}.{column} shows e-mail addresses or phone numbers"
    with duckdb.connect(str(warehouse / "cdp_pii.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from marts.customers where email like '%@%'").fetchall()[0][0] > 0


def test_a_bad_source_file_fails_the_run_and_publishes_nothing(deployment: Path) -> None:
    before = _published(deployment)
    bad = deployment / "landing" / "crm" / "contacts_2026-02-01.csv"
    bad.write_text("contact_id,first_name,created_at,updated_at\nC1,A,2026-02-01,2026-02-01\n")

    assert cli.main(_args(deployment)) == 1
    assert _published(deployment) == before

    bad.unlink()  # the user removes the file; nothing else is cleaned up
    assert cli.main(_args(deployment)) == 0
    assert _published(deployment)["release"] != before["release"]


@pytest.mark.parametrize("fault", ["after_extract", "after_dbt", "after_gate", "after_exports", "before_switch"])
def test_a_killed_run_leaves_the_release_untouched_and_the_next_run_recovers(deployment: Path, fault: str) -> None:
    before = _published(deployment)
    registry_before = _registry_runs(deployment)

    process = _run_subprocess(deployment, fault)
    assert process.wait(timeout=600) == -signal.SIGKILL

    assert _published(deployment) == before
    assert cli.main(_args(deployment)) == 0
    after = _published(deployment)
    assert after["release"] != before["release"]
    # The registry holds the first run's and the recovery run's ids, nothing of the killed run.
    assert len(_registry_runs(deployment) - registry_before) <= 1


def test_a_run_killed_during_dbt_recovers(deployment: Path) -> None:
    before = _published(deployment)
    process = _run_subprocess(deployment)
    log = deployment / "warehouse" / "logs" / "last_run.log"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and "int_identity" not in (log.read_text(errors="replace") if log.exists() else ""):
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before dbt reached identity resolution"
    os.killpg(process.pid, signal.SIGKILL)  # the run and its dbt subprocess
    process.wait(timeout=60)

    assert _published(deployment) == before
    assert cli.main(_args(deployment)) == 0
    assert _published(deployment)["release"] != before["release"]


def test_a_run_killed_just_after_the_switch_keeps_its_release(deployment: Path) -> None:
    before = _published(deployment)
    process = _run_subprocess(deployment, "after_switch")
    assert process.wait(timeout=600) == -signal.SIGKILL
    switched = _published(deployment)
    assert switched["release"] != before["release"]  # it did publish: the new release stands
    killed_run_ids = _registry_runs(deployment)

    assert cli.main(_args(deployment)) == 0
    # Its registry changes were kept (not rolled back under a release that relies on them).
    assert killed_run_ids <= _registry_runs(deployment) | killed_run_ids
    with duckdb.connect(str(work_database_of(deployment / "warehouse" / "cdp.duckdb")), read_only=True) as conn:
        assert conn.execute("select count(*) from marts.customers").fetchall()[0][0] > 0
