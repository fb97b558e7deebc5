"""The Great Expectations quality gate on small hand-made DataFrames (dagster_project.quality)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from dagster_project.quality import (
    GateConfig,
    SuiteError,
    consent_expectations,
    load_gate_config,
    load_suite,
    load_suites,
    nanosecond_datetimes,
    numpy_integers,
    not_in_future_expectations,
    validate,
    volume_expectation,
)

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def customers(**overrides: list) -> pd.DataFrame:
    """Three well-formed customers; keyword arguments replace whole columns."""
    columns = {
        "customer_id": ["c1", "c2", "c3"],
        "is_known": [True, True, False],
        "email": ["ann@example.com", None, None],
        "phone": ["+33612345678", "+33687654321", None],
        "first_seen_at": pd.to_datetime(["2024-01-01", "2024-02-01", "2025-05-01"]),
        "last_seen_at": pd.to_datetime(["2024-03-01", "2024-02-01", "2025-05-02"]),
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


def failed(result) -> dict[str, object]:
    return {failure.expectation_type: failure for failure in result.failures}


@pytest.fixture(scope="module")
def suites():
    return load_suites()


@pytest.fixture(scope="module")
def gate() -> GateConfig:
    return load_gate_config()


def test_seed_suites_and_limits_load(suites, gate):
    assert set(suites) >= {"customers", "customer_metrics", "segment", "identity_graph_health"}
    assert suites["identity_graph_health"].parameters == {"max_customer_records", "max_changed_id_share"}
    assert set(gate.suite_parameters) == suites["identity_graph_health"].parameters
    assert 0 < gate.volume_tolerance < 1


def test_well_formed_customers_pass(suites):
    result = validate(customers(), suites["customers"], parameters={}, docs_dir=None)
    assert result.success, result.to_markdown()
    assert result.evaluated == len(suites["customers"].expectations)
    assert result.failures == ()
    assert result.docs_index is None
    assert "all" in result.to_markdown()


def test_duplicated_customer_id_fails_with_the_duplicate_sampled(suites):
    df = customers(customer_id=["c1", "c2", "c2"])
    result = validate(df, suites["customers"], parameters={}, docs_dir=None)
    assert not result.success
    failure = failed(result)["expect_column_values_to_be_unique"]
    assert failure.column == "customer_id"
    assert failure.unexpected_count == 2
    assert failure.sample_values == ["c2"]
    assert {"customer_id": "c2"} in failure.sample_rows
    markdown = result.to_markdown()
    assert "expect_column_values_to_be_unique" in markdown and "`c2`" in markdown
    assert len(result.failures) == 1  # nothing else in the frame is wrong


def test_invalid_email_fails_and_missing_email_does_not(suites):
    df = customers(email=["ann@example.com", "not-an-email", None])
    result = validate(df, suites["customers"], parameters={}, docs_dir=None)
    assert [f.expectation_type for f in result.failures] == ["expect_column_values_to_match_regex"]
    failure = result.failures[0]
    assert failure.sample_values == ["not-an-email"]
    assert failure.sample_rows == [{"customer_id": "c2", "email": "not-an-email"}]


def test_last_seen_before_first_seen_fails(suites):
    df = customers(last_seen_at=pd.to_datetime(["2024-03-01", "2023-01-01", None]))
    result = validate(df, suites["customers"], parameters={}, docs_dir=None)
    failure = failed(result)["expect_column_pair_values_a_to_be_greater_than_b"]
    assert failure.unexpected_count == 1
    assert failure.sample_rows[0]["customer_id"] == "c2"


def test_non_consented_member_fails_the_consent_expectation(suites):
    members = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "email_consent": [True, True, True]})
    extra = consent_expectations("email")
    assert validate(members, suites["segment"], parameters={}, extra_expectations=extra, docs_dir=None).success

    members["email_consent"] = [True, False, None]
    result = validate(members, suites["segment"], name="segment.newsletter", parameters={}, extra_expectations=extra, docs_dir=None)
    assert not result.success
    assert result.suite_name == "segment.newsletter"
    assert failed(result)["expect_column_values_to_be_in_set"].sample_rows == [{"customer_id": "c2", "email_consent": False}]
    assert failed(result)["expect_column_values_to_not_be_null"].sample_rows == [{"customer_id": "c3", "email_consent": None}]
    with pytest.raises(ValueError, match="unknown consent channel"):
        consent_expectations("fax")


def test_volume_shrink_by_90_percent_fails_against_previous_count(suites):
    members = pd.DataFrame({"customer_id": [f"c{i}" for i in range(100)]})
    shrunk = validate(members, suites["segment"], parameters={}, extra_expectations=[volume_expectation(1000, 0.5)], docs_dir=None)
    assert not shrunk.success
    failure = failed(shrunk)["expect_table_row_count_to_be_between"]
    assert failure.observed_value == 100
    assert failure.kwargs["min_value"] == 500 and failure.kwargs["max_value"] == 1500
    assert "observed 100" in shrunk.to_markdown()

    assert validate(members, suites["segment"], parameters={}, extra_expectations=[volume_expectation(120, 0.5)], docs_dir=None).success


def test_volume_expectation_bounds():
    assert volume_expectation(1000, 0.5)["kwargs"] == {"min_value": 500, "max_value": 1500}
    assert volume_expectation(3, 0.1)["kwargs"] == {"min_value": 3, "max_value": 3}
    # slack: small tables may swing by a fixed number of rows; a 90 % shrink still fails
    assert volume_expectation(4, 0.5, slack_rows=25)["kwargs"] == {"min_value": 0, "max_value": 31}
    assert volume_expectation(139, 0.5, slack_rows=25)["kwargs"] == {"min_value": 45, "max_value": 233}
    # no baseline: only the floor (0 by default, 1 for tables that must never be empty)
    assert volume_expectation(None, 0.5)["kwargs"] == {"min_value": 0, "max_value": None}
    assert volume_expectation(0, 0.5, min_rows=1)["kwargs"] == {"min_value": 1, "max_value": None}
    with pytest.raises(ValueError):
        volume_expectation(10, -0.1)


def test_future_timestamp_fails(suites):
    df = customers(last_seen_at=pd.to_datetime(["2024-03-01", "2030-01-01", "2025-05-02"]))
    df["consent_at"] = pd.to_datetime(["2024-01-01", None, "2031-01-01"]).tz_localize("UTC")
    extra = not_in_future_expectations(df, NOW)
    assert sorted(e["kwargs"]["column"] for e in extra) == ["consent_at", "first_seen_at", "last_seen_at"]
    result = validate(df, suites["customers"], parameters={}, extra_expectations=extra, docs_dir=None)
    future = {f.column: f for f in result.failures if f.expectation_type == "expect_column_values_to_be_between"}
    assert set(future) == {"last_seen_at", "consent_at"}
    assert future["last_seen_at"].sample_rows == [{"customer_id": "c2", "last_seen_at": "2030-01-01T00:00:00"}]
    assert future["consent_at"].sample_rows[0]["customer_id"] == "c3"

    past = customers()
    assert validate(past, suites["customers"], parameters={}, extra_expectations=not_in_future_expectations(past, NOW), docs_dir=None).success


def test_microsecond_timestamps_are_checked_vectorised_and_still_fail_in_the_future(suites):
    # DuckDB hands pandas microsecond timestamps; GX compares only nanosecond ones vectorised
    df = customers(last_seen_at=pd.to_datetime(["2024-03-01", "2030-01-01", "2025-05-02"]).astype("datetime64[us]"))
    df["first_seen_at"] = df["first_seen_at"].astype("datetime64[us]")
    df["consent_at"] = pd.to_datetime(["2024-01-01", None, "2031-01-01"]).tz_localize("UTC").astype("datetime64[us, UTC]")
    converted = nanosecond_datetimes(df)
    assert {str(converted[c].dtype) for c in ("first_seen_at", "last_seen_at")} == {"datetime64[ns]"}
    assert str(converted["consent_at"].dtype) == "datetime64[ns, UTC]"
    result = validate(df, suites["customers"], parameters={}, extra_expectations=not_in_future_expectations(df, NOW), docs_dir=None)
    future = {f.column: f for f in result.failures if f.expectation_type == "expect_column_values_to_be_between"}
    assert set(future) == {"last_seen_at", "consent_at"}
    assert future["last_seen_at"].sample_rows == [{"customer_id": "c2", "last_seen_at": "2030-01-01T00:00:00"}]


def test_timestamps_outside_the_nanosecond_range_are_kept_and_checked(suites):
    df = customers(last_seen_at=pd.Series(pd.to_datetime(["2024-03-01", "2024-02-01", "2025-05-02"]).astype("datetime64[us]")))
    df.loc[1, "last_seen_at"] = pd.Timestamp("2500-01-01").as_unit("us")
    assert str(nanosecond_datetimes(df)["last_seen_at"].dtype) == "datetime64[us]"
    result = validate(df, suites["customers"], parameters={}, extra_expectations=not_in_future_expectations(df, NOW), docs_dir=None)
    future = [f for f in result.failures if f.expectation_type == "expect_column_values_to_be_between"]
    assert [f.column for f in future] == ["last_seen_at"]


def test_customer_metrics_scores_allow_nulls_but_not_out_of_range(suites):
    metrics = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3"],
            "email_consent": [True, False, False],
            "sms_consent": [False, False, True],
            "ads_consent": [True, True, False],
            "recency_score": [1, 5, None],
            "frequency_score": [2, 3, None],
            "monetary_score": [5, 4, None],
            "lifetime_value": [10.5, 0.0, 0.0],
        }
    )
    assert validate(metrics, suites["customer_metrics"], parameters={}, docs_dir=None).success
    metrics.loc[0, "recency_score"] = 6
    metrics.loc[1, "lifetime_value"] = -3.0
    result = validate(metrics, suites["customer_metrics"], parameters={}, docs_dir=None)
    assert sorted(f.column for f in result.failures) == ["lifetime_value", "recency_score"]


def test_identity_graph_health_limits_come_from_parameters(suites, gate):
    health = pd.DataFrame({"customers": [4518], "largest_customer_records": [60], "share_of_ids_changed": [0.0]})
    assert validate(health, suites["identity_graph_health"], parameters=gate.suite_parameters, docs_dir=None).success

    over_merged = health.assign(largest_customer_records=[25_000], share_of_ids_changed=[0.4])
    result = validate(over_merged, suites["identity_graph_health"], parameters=gate.suite_parameters, docs_dir=None)
    assert sorted((f.column, f.observed_value) for f in result.failures) == [
        ("largest_customer_records", 25_000),
        ("share_of_ids_changed", 0.4),
    ]
    with pytest.raises(SuiteError, match="max_changed_id_share"):
        validate(health, suites["identity_graph_health"], parameters={"max_customer_records": 10}, docs_dir=None)


def test_missing_column_is_a_failure_not_a_crash(suites):
    result = validate(customers().drop(columns=["email"]), suites["customers"], parameters={}, docs_dir=None)
    failure = failed(result)["expect_column_values_to_match_regex"]
    assert failure.exception and "email" in failure.exception


def write_suite(directory: Path, name: str, content: object) -> Path:
    path = directory / f"{name}.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"name": "bad", "expectations": [', r"not valid JSON \(line 1"),
        (
            {
                "name": "bad",
                "expectations": [
                    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}},
                    {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "customer_id"}},
                ],
            },
            r"expectation #2 \(expect_column_values_to_be_purple\): Great Expectations .* has no expectation type",
        ),
        (
            {"name": "bad", "expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"colum": "x"}}]},
            r"expectation #1 \(expect_column_values_to_not_be_null\): invalid kwargs .*colum",
        ),
        ({"name": "bad", "expectations": [{"kwargs": {"column": "x"}}]}, r"expectation #1: 'type' must be"),
        ({"name": "other", "expectations": []}, r"'name' must be the file name"),
        (
            {"name": "bad", "expectations": [{"type": "expect_column_max_to_be_between", "kwargs": {"column": "x", "max_value": {"$PARAMETER": "a + b"}}}]},
            r"expectation #1 .*plain name",
        ),
    ],
)
def test_malformed_suite_file_names_file_and_entry(tmp_path, content, message):
    path = write_suite(tmp_path, "bad", content)
    with pytest.raises(SuiteError, match=message) as error:
        load_suite(path)
    assert str(path) in str(error.value)


def test_unknown_extra_expectation_is_rejected(suites):
    with pytest.raises(SuiteError, match=r"extra expectation #1 \(expect_nothing\)"):
        validate(customers(), suites["customers"], parameters={}, extra_expectations=[{"type": "expect_nothing", "kwargs": {}}], docs_dir=None)


def test_data_docs_site_lists_every_suite_validated_into_it(tmp_path, suites):
    docs = tmp_path / "data_docs"
    first = validate(customers(), suites["customers"], parameters={}, docs_dir=docs, run_name="run-1")
    members = pd.DataFrame({"customer_id": ["c1", "c1"]})
    second = validate(members, suites["segment"], name="segment.vip", parameters={}, docs_dir=docs, run_name="run-1")
    assert first.docs_index == second.docs_index == docs / "index.html"
    index = (docs / "index.html").read_text()
    assert "customers" in index and "segment.vip" in index
    assert not second.success and str(docs / "index.html") in second.to_markdown()
    # re-validating a suite of the same name (a later run) replaces its stored suite, keeps the site
    assert validate(customers(), suites["customers"], parameters={}, docs_dir=docs, run_name="run-2").success
    assert "segment.vip" in (docs / "index.html").read_text()


def test_data_docs_built_once_after_several_validations(tmp_path, suites):
    from dagster_project.quality import build_data_docs

    docs = tmp_path / "data_docs"
    validate(customers(), suites["customers"], parameters={}, docs_dir=docs, run_name="run-1", build_docs=False)
    members = pd.DataFrame({"customer_id": ["c1", "c2"]})
    validate(members, suites["segment"], name="segment.vip", parameters={}, docs_dir=docs, run_name="run-1", build_docs=False)
    assert not (docs / "index.html").exists()  # stored, not rendered yet
    assert build_data_docs(docs) == docs / "index.html"
    index = (docs / "index.html").read_text()
    assert "customers" in index and "segment.vip" in index
    assert len(list((docs / "validations").rglob("*.html"))) == 2


def test_gate_config_rejects_unknown_or_bad_limits(tmp_path):
    from dagster_project.quality import GateConfigError

    path = tmp_path / "gate.yml"
    path.write_text("volume_tolerance: 0.5\nvolume_slack_rows: 3\nmax_customer_records: 10\nmax_changed_id_share: 0.1\n")
    assert load_gate_config(path) == GateConfig(0.5, 3, 10, 0.1)
    path.write_text("volume_tolerance: 0.5\nvolume_slack_rows: 3\nmax_customer_records: 10\nmax_changed_id_shar: 0.1\n")
    with pytest.raises(GateConfigError, match="unknown limits \\['max_changed_id_shar'\\]"):
        load_gate_config(path)
    path.write_text("volume_tolerance: lots\nvolume_slack_rows: 3\nmax_customer_records: 10\nmax_changed_id_share: 0.1\n")
    with pytest.raises(GateConfigError, match="volume_tolerance"):
        load_gate_config(path)


def test_nullable_integer_scores_are_checked_vectorised_and_still_fail_out_of_range(suites):
    # DuckDB hands pandas an integer column with nulls as Int64; GX compares it value by value
    scores = pd.array([5, None, 7], dtype="Int64")
    metrics = pd.DataFrame({
        "customer_id": ["c1", "c2", "c3"], "email_consent": [True, False, False], "sms_consent": [False] * 3,
        "ads_consent": [False] * 3, "recency_score": scores, "frequency_score": pd.array([1, 2, 3], dtype="Int32"),
        "monetary_score": scores, "lifetime_value": [1.0, 0.0, 2.0],
    })
    converted = numpy_integers(metrics)
    assert (str(converted["recency_score"].dtype), str(converted["frequency_score"].dtype)) == ("float64", "int64")
    result = validate(metrics, suites["customer_metrics"], parameters={}, docs_dir=None)
    out_of_range = {f.column: f for f in result.failures if f.expectation_type == "expect_column_values_to_be_between"}
    assert set(out_of_range) == {"recency_score", "monetary_score"}
    assert out_of_range["recency_score"].unexpected_count == 1
    assert out_of_range["recency_score"].sample_rows == [{"customer_id": "c3", "recency_score": 7.0}]
