"""Exports: ad-platform hashing, atomic publishing (including a killed writer), deltas and retention."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.exports import ads
from dagster_project.exports.export import ExportResult, write_export
from dagster_project.exports.files import verify_manifest
from dagster_project.publishing.versions import (
    PARTIAL_PREFIX,
    Staging,
    complete_versions,
    previous_version,
    public_path,
    publish,
    versions_root,
)
from dagster_project.settings import PROJECT_ROOT

# ----------------------------------------------------------------------------------------------
# (a) Hashing. Every literal digest below was computed outside Python, in a shell, from the
# value normalised *by hand*, with:   printf '%s' '<normalised value>' | sha256sum
# ----------------------------------------------------------------------------------------------

# printf '%s' 'janedoe@gmail.com' | sha256sum   (periods removed: gmail.com, lowercased, trimmed)
JANEDOE_GMAIL = "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"
# printf '%s' 'jane.doe@gmail.com' | sha256sum  (Meta keeps the periods)
JANE_DOT_DOE_GMAIL = "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982"
# printf '%s' 'johnsmith+news@googlemail.com' | sha256sum  (googlemail.com: periods removed, +suffix kept)
JOHNSMITH_PLUS_GOOGLEMAIL = "5963cccd321855822d01a6831de1e0cb736b8896fed8bc573353524cf0d4e998"
# printf '%s' 'jane.doe@example.co.uk' | sha256sum  (not gmail: periods kept, for both platforms)
JANE_DOT_DOE_EXAMPLE = "22c24abe678ca650e3292465ecc383e8b56e5c3a24af3a2d2aa32342d7205187"
# printf '%s' '+447700900123' | sha256sum   (Google: E.164 with '+')
PHONE_UK_E164 = "a8acc3a90a7b4e4dc65e93db9240ed26523050ef754d63b75b5161de76781436"
# printf '%s' '447700900123' | sha256sum    (Meta: digits only, no '+')
PHONE_UK_DIGITS = "033134b911b137918338415ee3d20a064b24773d36a3b02e8b99fdd3fcd6b4cd"
# printf '%s' '+14155552671' | sha256sum
PHONE_US_E164 = "cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928"
# printf '%s' '14155552671' | sha256sum
PHONE_US_DIGITS = "758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0"

KNOWN = [
    # (function name, raw input, expected digest)
    ("google_email", "  Jane.Doe@GMail.com \t", JANEDOE_GMAIL),
    ("google_email", "J.a.n.e.D.o.e@gmail.com", JANEDOE_GMAIL),
    ("google_email", "John.Smith+news@GoogleMail.COM", JOHNSMITH_PLUS_GOOGLEMAIL),
    ("google_email", " Jane.Doe@Example.co.uk", JANE_DOT_DOE_EXAMPLE),
    ("meta_email", "  Jane.Doe@GMail.com \t", JANE_DOT_DOE_GMAIL),
    ("meta_email", " Jane.Doe@Example.co.uk", JANE_DOT_DOE_EXAMPLE),
    ("google_phone", "+447700900123", PHONE_UK_E164),
    ("google_phone", "+1 (415) 555-2671", PHONE_US_E164),
    ("meta_phone", "+447700900123", PHONE_UK_DIGITS),
    ("meta_phone", "0014155552671", PHONE_US_DIGITS),
]

PY = {
    "google_email": ads.hash_google_email,
    "meta_email": ads.hash_meta_email,
    "google_phone": ads.hash_google_phone,
    "meta_phone": ads.hash_meta_phone,
}
SQL = {
    "google_email": ads.hash_google_email_sql,
    "meta_email": ads.hash_meta_email_sql,
    "google_phone": ads.hash_google_phone_sql,
    "meta_phone": ads.hash_meta_phone_sql,
}
NORMALIZE_PY = {
    "google_email": ads.normalize_google_email,
    "meta_email": ads.normalize_meta_email,
    "google_phone": ads.normalize_google_phone,
    "meta_phone": ads.normalize_meta_phone,
}
NORMALIZE_SQL = {
    "google_email": ads.normalize_google_email_sql,
    "meta_email": ads.normalize_meta_email_sql,
    "google_phone": ads.normalize_google_phone_sql,
    "meta_phone": ads.normalize_meta_phone_sql,
}


def _sql_apply(conn: duckdb.DuckDBPyConnection, expression: str, values: list[str | None]) -> list[str | None]:
    conn.execute("CREATE OR REPLACE TEMP TABLE inputs (i INTEGER, v VARCHAR)")
    conn.executemany("INSERT INTO inputs VALUES (?, ?)", list(enumerate(values)))
    return [row[0] for row in conn.execute(f"SELECT {expression} FROM inputs ORDER BY i").fetchall()]


@pytest.mark.parametrize(("kind", "raw", "expected"), KNOWN)
def test_known_digests_python(kind: str, raw: str, expected: str) -> None:
    assert PY[kind](raw) == expected


@pytest.mark.parametrize("kind", sorted(SQL))
def test_known_digests_sql(kind: str) -> None:
    cases = [(raw, expected) for k, raw, expected in KNOWN if k == kind]
    with duckdb.connect() as conn:
        got = _sql_apply(conn, SQL[kind]("v"), [raw for raw, _ in cases])
    assert got == [expected for _, expected in cases]


def test_normalised_forms() -> None:
    assert ads.normalize_google_email("  Jane.Doe@GMail.com ") == "janedoe@gmail.com"
    assert ads.normalize_google_email("a.b+c.d@gmail.com") == "ab+cd@gmail.com"  # +suffix kept
    assert ads.normalize_google_email("jane.doe@gmail.com.au") == "jane.doe@gmail.com.au"
    assert ads.normalize_meta_email("  Jane.Doe@GMail.com ") == "jane.doe@gmail.com"
    assert ads.normalize_google_phone("+447700900123") == "+447700900123"
    assert ads.normalize_meta_phone("+447700900123") == "447700900123"
    for kind in PY:
        assert PY[kind](None) is None
        assert PY[kind]("   ") is None


def _varied_inputs(n: int, seed: int) -> tuple[list[str | None], list[str | None]]:
    rng = random.Random(seed)
    local_chars = "abcXYZ019._+-é"
    domains = ["gmail.com", "GMail.com", "googlemail.com", "GOOGLEMAIL.COM", "example.com", "ex.ample.co.uk",
               "gmail.co", "gmail.com.au", "mail.gmail.com", "yahoo.fr"]
    pads = ["", " ", "\t", "\n", "  \r\n", "\u00a0", " \v\f"]
    emails: list[str | None] = [None, "", "   ", "no-at-sign.here", "two@at@gmail.com", ".@gmail.com"]
    phones: list[str | None] = [None, "", "+", "000", "+0044 7700 900123", "(415) 555-2671", "+1-415-555-2671 ext"]
    while len(emails) < n:
        local = "".join(rng.choice(local_chars) for _ in range(rng.randint(1, 12)))
        emails.append(rng.choice(pads) + local + "@" + rng.choice(domains) + rng.choice(pads))
    while len(phones) < n:
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 14)))
        prefix = rng.choice(["+", "", "00", "+0", " +"])
        spaced = "".join(ch + (rng.choice(["", "", " ", "-"])) for ch in digits)
        phones.append(prefix + spaced + rng.choice(["", " ", ")"]))
    return emails, phones


def test_sql_matches_python_on_varied_rows() -> None:
    emails, phones = _varied_inputs(400, seed=20260501)
    with duckdb.connect() as conn:
        for kind in sorted(PY):
            values = emails if kind.endswith("email") else phones
            assert _sql_apply(conn, NORMALIZE_SQL[kind]("v"), values) == [NORMALIZE_PY[kind](v) for v in values], kind
            assert _sql_apply(conn, SQL[kind]("v"), values) == [PY[kind](v) for v in values], kind


def test_audience_query_columns() -> None:
    with duckdb.connect() as conn:
        conn.execute(
            "CREATE TABLE people AS SELECT * FROM (VALUES (1, ' Jane.Doe@GMail.com', '+447700900123'), "
            "(2, NULL, NULL), (3, NULL, '+14155552671')) t(customer_id, email, phone)"
        )
        google = conn.execute(ads.audience_query("google", "people", "customer_id", "email", "phone") + " ORDER BY 1")
        assert [d[0] for d in google.description] == ["customer_id", "Email", "Phone"]
        assert google.fetchall() == [(1, JANEDOE_GMAIL, PHONE_UK_E164), (3, None, PHONE_US_E164)]
        meta = conn.execute(ads.audience_query("meta", "people", "customer_id", "email", "phone") + " ORDER BY 1")
        assert [d[0] for d in meta.description] == ["customer_id", "email", "phone"]
        assert meta.fetchall() == [(1, JANE_DOT_DOE_GMAIL, PHONE_UK_DIGITS), (3, None, PHONE_US_DIGITS)]


# ----------------------------------------------------------------------------------------------
# (b) Publishing
# ----------------------------------------------------------------------------------------------


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _write_files(files: dict[str, str]):
    def write(staging: Staging) -> None:
        for file_name, text in files.items():
            (staging.directory / file_name).write_text(text)

    return write


def _partials(exports_dir: Path, destination: str, name: str) -> list[Path]:
    return [p for p in versions_root(exports_dir, destination, name).iterdir() if p.name.startswith(PARTIAL_PREFIX)]


@pytest.fixture
def conn():
    with duckdb.connect() as connection:
        connection.execute("SET threads = 1")  # the test machine is shared; the data is tiny
        yield connection


def export_members(conn, root: Path, destination: str, name: str, source: str, *, key: str, run_id: str):
    """write_export into a version of its own, published atomically with publish(): the building
    blocks the pipeline composes per release, composed here per export."""

    def write(staging: Staging) -> ExportResult:
        return write_export(conn, staging.directory, staging.previous, destination=destination, name=name,
                            source=source, key=key, run_id=run_id)

    return publish(root, destination, name, write, run_id=run_id)


def test_successful_export_switches_public_path_and_manifest_matches(tmp_path: Path, conn) -> None:
    conn.execute("CREATE TABLE seg AS SELECT range AS customer_id, 'c' || range AS email FROM range(25)")
    assert previous_version(tmp_path, "meta", "vip") is None
    result = export_members(conn, tmp_path, "meta", "vip", "seg", key="customer_id", run_id="run-1")

    link = public_path(tmp_path, "meta", "vip")
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    assert previous_version(tmp_path, "meta", "vip") == result.version_dir.resolve()
    assert sorted(p.name for p in link.iterdir()) == [
        "adds.csv", "manifest.json", "members.csv", "members.parquet", "removes.csv"]

    manifest = json.loads((link / "manifest.json").read_text())
    assert manifest["destination"] == "meta" and manifest["name"] == "vip" and manifest["run_id"] == "run-1"
    assert manifest["row_count"] == 25 and manifest["generated_at"].endswith("Z")
    assert manifest["delta"]["adds"] == 25 and manifest["delta"]["removes"] == 0
    for entry in manifest["files"]:  # checksums recomputed independently of the library
        data = (link / entry["name"]).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert {e["name"] for e in manifest["files"]} == {"adds.csv", "members.csv", "members.parquet", "removes.csv"}
    assert verify_manifest(link) == []

    with open(link / "members.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 25 and rows[0].keys() == {"customer_id", "email"}
    assert conn.execute(f"SELECT count(*) FROM read_parquet('{link / 'members.parquet'}')").fetchone() == (25,)


def test_exception_mid_write_leaves_previous_version_untouched(tmp_path: Path) -> None:
    first = publish(tmp_path, "google", "vip", _write_files({"members.csv": "id\n1\n", "manifest.json": "{}"}),
                    run_id="good")
    link = public_path(tmp_path, "google", "vip")
    target_before, bytes_before = os.readlink(link), _snapshot(link)

    def write_one_then_fail(staging: Staging) -> None:
        (staging.directory / "members.csv").write_text("id\n2\n3\n")
        raise RuntimeError("writer failed after one file")

    with pytest.raises(RuntimeError, match="after one file"):
        publish(tmp_path, "google", "vip", write_one_then_fail, run_id="bad")

    assert os.readlink(link) == target_before
    assert _snapshot(link) == bytes_before
    assert _partials(tmp_path, "google", "vip") == []
    assert complete_versions(tmp_path, "google", "vip") == [first.version_dir]


def test_invalid_key_publishes_nothing(tmp_path: Path, conn) -> None:
    conn.execute("CREATE TABLE seg AS SELECT * FROM (VALUES (1), (2)) t(customer_id)")
    export_members(conn, tmp_path, "meta", "vip", "seg", key="customer_id", run_id="r1")
    link = public_path(tmp_path, "meta", "vip")
    target_before, bytes_before = os.readlink(link), _snapshot(link)
    conn.execute("INSERT INTO seg VALUES (2), (NULL)")
    with pytest.raises(ValueError, match="NULL"):
        export_members(conn, tmp_path, "meta", "vip", "seg", key="customer_id", run_id="r2")
    conn.execute("DELETE FROM seg WHERE customer_id IS NULL")
    with pytest.raises(ValueError, match="not unique"):
        export_members(conn, tmp_path, "meta", "vip", "seg", key="customer_id", run_id="r3")
    assert os.readlink(link) == target_before and _snapshot(link) == bytes_before
    assert _partials(tmp_path, "meta", "vip") == []


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from dagster_project.publishing.versions import publish

    exports_dir, ready = Path(sys.argv[1]), Path(sys.argv[2])

    def write(staging):
        (staging.directory / "members.csv").write_text("id\\n7\\n8\\n9\\n")
        with open(staging.directory / "members.parquet", "wb") as handle:
            handle.write(b"\\0" * (4 << 20))      # a large file, 4 MB in ...
            handle.flush()
            ready.write_text(str(staging.directory))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:    # ... and still growing when the parent kills us
                handle.write(b"\\0" * (64 << 10))
                handle.flush()
                time.sleep(0.01)
        raise SystemExit("was not killed")

    publish(exports_dir, "meta", "vip", write, run_id="doomed")
    """
)


def test_killed_publisher_leaves_old_version_and_next_publish_cleans_up(tmp_path: Path) -> None:
    exports_dir, ready = tmp_path / "exports", tmp_path / "ready"
    first = publish(exports_dir, "meta", "vip", _write_files({"members.csv": "id\n1\n"}), run_id="old")
    link = public_path(exports_dir, "meta", "vip")
    target_before, bytes_before = os.readlink(link), _snapshot(link)

    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(exports_dir), str(ready)], env=env,
                            cwd=PROJECT_ROOT)
    try:
        deadline = time.monotonic() + 15
        while not ready.exists():
            assert proc.poll() is None, "the writer exited before it was killed"
            assert time.monotonic() < deadline, "the writer never started"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    leftover = Path(ready.read_text())
    assert leftover.name.startswith(PARTIAL_PREFIX) and (leftover / "members.parquet").stat().st_size >= 4 << 20
    assert os.readlink(link) == target_before and _snapshot(link) == bytes_before
    assert previous_version(exports_dir, "meta", "vip") == first.version_dir.resolve()

    # The dead process's lock was released by the kernel, so the next publish proceeds and cleans up.
    second = publish(exports_dir, "meta", "vip", _write_files({"members.csv": "id\n2\n"}), run_id="next")
    assert leftover in second.cleaned_debris and not leftover.exists()
    assert _partials(exports_dir, "meta", "vip") == []
    assert (link / "members.csv").read_text() == "id\n2\n"
    assert second.previous == first.version_dir.resolve()


# ----------------------------------------------------------------------------------------------
# (c) Deltas
# ----------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_deltas_across_three_exports(tmp_path: Path, conn) -> None:
    conn.execute("CREATE TABLE seg (customer_id INTEGER, email VARCHAR)")

    def export(ids: list[int], run_id: str):
        conn.execute("DELETE FROM seg")
        conn.executemany("INSERT INTO seg VALUES (?, ?)", [(i, f"user{i}@example.com") for i in ids])
        return export_members(conn, tmp_path, "google", "churn_risk", "SELECT * FROM seg", key="customer_id",
                              run_id=run_id)

    def keys(path: Path) -> list[int]:
        return [int(row["customer_id"]) for row in _read_csv(path)]

    first = export([1, 2, 3], "r1")  # first export: everything is an add
    assert first.value.delta.first_export and (first.value.delta.adds, first.value.delta.removes) == (3, 0)
    assert keys(first.public_path / "adds.csv") == [1, 2, 3]
    assert _read_csv(first.public_path / "removes.csv") == []
    assert (first.public_path / "removes.csv").read_text().strip() == "customer_id"

    second = export([2, 3, 4, 5], "r2")
    assert not second.value.delta.first_export and second.value.delta.previous_version_id == "r1"
    assert (second.value.delta.adds, second.value.delta.removes, second.value.delta.unchanged) == (2, 1, 2)
    assert keys(second.public_path / "adds.csv") == [4, 5]
    # The key only: a removed member's e-mail does not travel again in the file that removes them.
    assert _read_csv(second.public_path / "removes.csv") == [{"customer_id": "1"}]

    third = export([5, 6], "r3")
    assert third.value.delta.previous_version_id == "r2"
    assert (third.value.delta.adds, third.value.delta.removes, third.value.delta.unchanged) == (1, 3, 1)
    assert keys(third.public_path / "adds.csv") == [6]
    assert keys(third.public_path / "removes.csv") == [2, 3, 4]
    manifest = json.loads((third.public_path / "manifest.json").read_text())
    assert manifest["delta"]["adds"] == 1 and manifest["delta"]["removes"] == 3 and manifest["row_count"] == 2


# ----------------------------------------------------------------------------------------------
# (d) Retention
# ----------------------------------------------------------------------------------------------


def test_retention_keeps_the_newest_n_versions(tmp_path: Path) -> None:
    results = [
        publish(tmp_path, "meta", "vip", _write_files({"members.csv": f"id\n{i}\n"}), run_id=f"run-{i}", keep=3)
        for i in range(7)
    ]
    remaining = complete_versions(tmp_path, "meta", "vip")
    assert remaining == [r.version_dir for r in results[-3:]]
    assert previous_version(tmp_path, "meta", "vip") == results[-1].version_dir.resolve()
    assert (public_path(tmp_path, "meta", "vip") / "members.csv").read_text() == "id\n6\n"
    assert sorted(p for r in results for p in r.deleted_versions) == sorted(r.version_dir for r in results[:4])

    default = [publish(tmp_path, "meta", "other", _write_files({"a": "x"}), run_id="r") for _ in range(7)]
    assert complete_versions(tmp_path, "meta", "other") == [r.version_dir for r in default[-5:]]


def test_names_cannot_escape_the_exports_dir(tmp_path: Path) -> None:
    for bad in ("../etc", "a/b", ".hidden", ""):
        with pytest.raises(ValueError):
            publish(tmp_path, bad, "vip", _write_files({}), run_id="r")


def test_leftover_temporary_symlink_of_this_export_only_is_removed(tmp_path: Path) -> None:
    (tmp_path / "meta").mkdir()
    mine, theirs = tmp_path / "meta" / ".vip~tmp-link-999", tmp_path / "meta" / ".vip-2~tmp-link-999"
    mine.symlink_to("nowhere")
    theirs.symlink_to("nowhere")
    result = publish(tmp_path, "meta", "vip", _write_files({"a": "x"}), run_id="r")
    assert mine in result.cleaned_debris and not mine.is_symlink()
    assert theirs.is_symlink()  # another export's publisher may be using it right now


def test_removes_carry_only_the_key_and_the_columns_a_platform_needs(tmp_path: Path, conn) -> None:
    conn.execute("CREATE TABLE seg (customer_id INTEGER, email VARCHAR, email_sha256 VARCHAR)")
    conn.execute("INSERT INTO seg VALUES (1, 'a@x.com', 'h1'), (2, 'b@x.com', 'h2')")
    first = write_export(conn, tmp_path / "v1", None, destination="google_ads", name="vip", source="seg",
                         key="customer_id", run_id="r1", remove_columns=("email_sha256",))
    conn.execute("DELETE FROM seg WHERE customer_id = 1")
    second = write_export(conn, tmp_path / "v2", first.directory, destination="google_ads", name="vip", source="seg",
                          key="customer_id", run_id="r2", remove_columns=("email_sha256",))
    assert second.delta.removes == 1
    assert _read_csv(tmp_path / "v2" / "removes.csv") == [{"customer_id": "1", "email_sha256": "h1"}]
