"""Pairwise identity-resolution scoring on hand-built cases whose answers are worked out by
hand, plus a brute-force pair enumeration on random cases."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter

import duckdb
import pytest

from dagster_project.evaluate import EvaluationReport, format_report, report_to_dict, score

Row = tuple[str, str, str | None]

# Three people: P1 has one record in each source, P2 a CRM contact and a web event, P3 one
# web event. True pairs: C(3,2) + C(2,2) + 0 = 4.
TRUTH: list[Row] = [
    ("crm", "c1", "P1"), ("web", "w1", "P1"), ("pos", "t1", "P1"),
    ("crm", "c2", "P2"), ("web", "w2", "P2"),
    ("web", "w3", "P3"),
]
PERFECT: list[Row] = [
    ("crm", "c1", "A"), ("web", "w1", "A"), ("pos", "t1", "A"),
    ("crm", "c2", "B"), ("web", "w2", "B"),
    ("web", "w3", "C"),
]


def _score(truth: list[Row], resolved: list[Row], **options: int) -> EvaluationReport:
    with duckdb.connect() as conn:
        conn.execute("create table truth (source varchar, record_key varchar, person_id varchar)")
        conn.execute("create table resolved (source varchar, record_key varchar, customer_id varchar)")
        if truth:
            conn.executemany("insert into truth values (?, ?, ?)", truth)
        if resolved:
            conn.executemany("insert into resolved values (?, ?, ?)", resolved)
        report = score(conn, **options)
        leftovers = conn.execute("select table_name from duckdb_tables() where table_name like '\\_eval\\_%' escape '\\'").fetchall()
        assert leftovers == []
        return report


def _replace(rows: list[Row], **customers: str | None) -> list[Row]:
    """``PERFECT`` with some records (by key) moved to another customer."""
    return [(s, k, customers.get(k, c)) for s, k, c in rows]


def _by_source_pair(report: EvaluationReport) -> dict[str, tuple[int, int, int]]:
    return {f"{p.source_a}-{p.source_b}": (p.score.true_positives, p.score.predicted_pairs, p.score.true_pairs)
            for p in report.source_pairs}


def test_perfect_resolution_scores_one() -> None:
    report = _score(TRUTH, PERFECT)
    assert (report.precision, report.recall, report.f1) == (1.0, 1.0, 1.0)
    assert (report.pairs.true_positives, report.pairs.predicted_pairs, report.pairs.true_pairs) == (4, 4, 4)
    assert (report.true_people, report.resolved_customers, report.split_people, report.merged_customers) == (3, 3, 0, 0)
    assert report.over_merges == [] and report.missed_matches == []
    assert _by_source_pair(report) == {
        "crm-pos": (1, 1, 1), "crm-web": (2, 2, 2), "pos-web": (1, 1, 1),
    }


def test_one_over_merge() -> None:
    # P3's event joins customer B: B = {c2, w2, w3} holds 3 pairs, 1 of them true.
    # Predicted 3 + 3 = 6, true positives 3 + 1 = 4: precision 4/6, recall 1, F1 0.8.
    report = _score(TRUTH, _replace(PERFECT, w3="B"))
    assert (report.pairs.true_positives, report.pairs.predicted_pairs, report.pairs.true_pairs) == (4, 6, 4)
    assert report.precision == pytest.approx(2 / 3)
    assert report.recall == 1.0
    assert report.f1 == pytest.approx(0.8)
    assert (report.resolved_customers, report.merged_customers, report.split_people) == (2, 1, 0)
    [merge] = report.over_merges
    assert (merge.customer_id, merge.records, merge.people, merge.false_pairs) == ("B", 3, 2, 2)
    assert [(p.person_id, p.records, p.record_keys) for p in merge.samples] == [
        ("P2", 2, ["crm:c2", "web:w2"]), ("P3", 1, ["web:w3"]),
    ]
    assert _by_source_pair(report)["web-web"] == (0, 1, 0)
    assert _by_source_pair(report)["crm-web"] == (2, 3, 2)


def test_one_split() -> None:
    # P1's till transaction lands in its own customer: P1 keeps 1 of its 3 pairs.
    # Predicted 1 + 1 = 2, all true: precision 1, recall 2/4, F1 2/3.
    report = _score(TRUTH, _replace(PERFECT, t1="A2"))
    assert (report.pairs.true_positives, report.pairs.predicted_pairs, report.pairs.true_pairs) == (2, 2, 4)
    assert (report.precision, report.recall) == (1.0, 0.5)
    assert report.f1 == pytest.approx(2 / 3)
    assert (report.resolved_customers, report.split_people, report.merged_customers) == (4, 1, 0)
    [missed] = report.missed_matches
    assert (missed.person_id, missed.customer_a) == ("P1", "A")
    assert (missed.source_b, missed.record_key_b, missed.customer_b) == ("pos", "t1", "A2")
    pairs = _by_source_pair(report)
    assert pairs["crm-pos"] == (0, 0, 1) and pairs["pos-web"] == (0, 0, 1) and pairs["crm-web"] == (2, 2, 2)


def test_a_missing_record_is_a_singleton_and_counted() -> None:
    # t1 never reached customer_records (rejected at extract): same scores as the split,
    # and it is one more resolved cluster of its own.
    report = _score(TRUTH, [row for row in PERFECT if row[1] != "t1"])
    assert (report.pairs.true_positives, report.pairs.predicted_pairs, report.pairs.true_pairs) == (2, 2, 4)
    assert report.coverage.missing_records == 1
    assert report.coverage.missing_by_source == {"crm": 0, "pos": 1, "web": 0}
    assert report.coverage.truth_records == 6
    assert report.resolved_customers == 4
    [missed] = report.missed_matches
    assert (missed.record_key_b, missed.customer_b) == ("t1", None)


def test_missing_records_of_one_person_are_not_matched_with_each_other() -> None:
    # Neither of P2's records is resolved: two singletons, not one cluster.
    report = _score(TRUTH, [row for row in PERFECT if row[2] != "B"])
    assert (report.pairs.true_positives, report.pairs.predicted_pairs, report.pairs.true_pairs) == (3, 3, 4)
    assert report.resolved_customers == 4
    [missed] = report.missed_matches
    assert missed.person_id == "P2" and missed.customer_a is None and missed.customer_b is None
    assert {missed.record_key_a, missed.record_key_b} == {"c2", "w2"}


def test_a_record_not_in_the_truth_is_ignored_and_counted() -> None:
    report = _score(TRUTH, [*PERFECT, ("web", "w9", "A"), ("web", "w8", "Z")])
    assert (report.precision, report.recall) == (1.0, 1.0)
    assert report.coverage.extra_records == 2
    assert report.resolved_customers == 3  # Z holds no truth record


def test_a_null_customer_is_a_singleton() -> None:
    report = _score(TRUTH, _replace(PERFECT, t1=None))
    assert (report.pairs.true_positives, report.pairs.predicted_pairs) == (2, 2)
    assert (report.coverage.unassigned_records, report.coverage.missing_records) == (1, 0)
    assert report.resolved_customers == 4


def test_duplicate_keys_are_counted_and_scored_with_the_smallest_customer() -> None:
    report = _score(TRUTH, [*PERFECT, ("pos", "t1", "Z")])
    assert report.coverage.duplicate_keys == 1
    assert report.precision == 1.0 and report.recall == 1.0  # "A" < "Z"


def test_nothing_resolved_has_precision_one_and_recall_zero() -> None:
    report = _score(TRUTH, [])
    assert (report.precision, report.recall, report.f1) == (1.0, 0.0, 0.0)
    assert report.resolved_customers == 6
    assert report.coverage.missing_records == 6


def test_a_truth_giving_one_key_to_two_people_is_refused() -> None:
    with pytest.raises(ValueError, match=r"1 record key\(s\) to more than one person \(e.g. crm:c1\)"):
        _score([*TRUTH, ("crm", "c1", "P9")], PERFECT)


def test_exact_duplicate_truth_rows_count_once() -> None:
    report = _score([*TRUTH, TRUTH[0]], PERFECT)
    assert report.coverage.truth_records == 6 and report.recall == 1.0


def test_report_limits_and_sampling_are_deterministic() -> None:
    # Everyone in one customer; every record of P1 also split off: both lists are bounded.
    everyone = [(s, k, "ALL") for s, k, _ in TRUTH]
    report = _score(TRUTH, everyone, top_over_merges=1, people_per_over_merge=2, keys_per_person=1)
    [merge] = report.over_merges
    assert (merge.people, len(merge.samples)) == (3, 2)
    assert all(len(p.record_keys) == 1 for p in merge.samples)
    split = _replace(PERFECT, c1="X", w1="Y", c2="Z", w3="C")
    first, second = _score(TRUTH, split, missed_samples=1), _score(TRUTH, split, missed_samples=1)
    assert len(first.missed_matches) == 1 and first.missed_matches == second.missed_matches


# -- brute force --------------------------------------------------------------------------------


def _random_case(seed: int) -> tuple[list[Row], list[Row]]:
    """About 80 records of 15 people, resolved with merges, splits, gaps and extras."""
    rng = random.Random(seed)
    truth = [(rng.choice(["crm", "web", "pos"]), f"k{i}", f"P{rng.randrange(15)}") for i in range(80)]
    resolved: list[Row] = []
    for source, key, person in truth:
        roll = rng.random()
        if roll < 0.1:
            continue  # missing
        customer = f"C{rng.randrange(6)}" if roll < 0.3 else f"C{int(person[1:]) // 2}"  # noise, or two people merged
        resolved.append((source, key, None if roll > 0.97 else customer))
    resolved += [("web", f"extra{i}", f"C{i}") for i in range(3)]
    return truth, resolved


def _brute_force(truth: list[Row], resolved: list[Row]) -> dict[str, object]:
    """Every pair of truth records, judged one by one."""
    customer = {(s, k): c for s, k, c in resolved}
    counts: dict[str, Counter[str]] = {"tp": Counter(), "predicted": Counter(), "true": Counter()}
    for (s1, k1, p1), (s2, k2, p2) in itertools.combinations(truth, 2):
        label = "-".join(sorted((s1, s2)))
        c1, c2 = customer.get((s1, k1)), customer.get((s2, k2))
        same_customer = c1 is not None and c1 == c2
        counts["true"][label] += p1 == p2
        counts["predicted"][label] += same_customer
        counts["tp"][label] += same_customer and p1 == p2
    clusters = {customer.get((s, k)) or ("singleton", s, k) for s, k, _ in truth}
    people_clusters = {p: {customer.get((s, k)) or ("singleton", s, k) for s, k, q in truth if q == p}
                       for _, _, p in truth}
    return {
        "totals": tuple(sum(counts[name].values()) for name in ("tp", "predicted", "true")),
        "by_pair": {label: (counts["tp"][label], counts["predicted"][label], counts["true"][label])
                    for label in counts["true"] | counts["predicted"]
                    if counts["true"][label] or counts["predicted"][label]},
        "people": len(people_clusters),
        "customers": len(clusters),
        "split": sum(len(c) > 1 for c in people_clusters.values()),
    }


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force_pair_enumeration(seed: int) -> None:
    truth, resolved = _random_case(seed)
    report = _score(truth, resolved)
    expected = _brute_force(truth, resolved)
    assert (report.pairs.true_positives, report.pairs.predicted_pairs, report.pairs.true_pairs) == expected["totals"]
    assert _by_source_pair(report) == expected["by_pair"]
    assert (report.true_people, report.resolved_customers, report.split_people) == (
        expected["people"], expected["customers"], expected["split"])
    person_of = {(s, k): p for s, k, p in truth}
    customer_of = {(s, k): c for s, k, c in resolved}
    for missed in report.missed_matches:
        a, b = (missed.source_a, missed.record_key_a), (missed.source_b, missed.record_key_b)
        assert person_of[a] == person_of[b] == missed.person_id and a != b
        assert (customer_of.get(a), customer_of.get(b)) == (missed.customer_a, missed.customer_b)
        assert missed.customer_a is None or missed.customer_a != missed.customer_b
    for merge in report.over_merges:
        assert merge.people > 1 and merge.false_pairs > 0
    false_pairs = [m.false_pairs for m in report.over_merges]
    assert false_pairs == sorted(false_pairs, reverse=True)


# -- output -------------------------------------------------------------------------------------


def test_text_report_has_every_section_in_aligned_tables() -> None:
    report = _score(TRUTH, [row for row in _replace(PERFECT, w3="B", t1="A2") if row[1] != "w2"] + [("web", "x", "A")])
    text = format_report(report)
    for heading in ("precision", "recall", "F1", "true people", "resolved customers", "scored as singletons",
                    "not in the truth", "By source pair", "Biggest over-merged", "Missed matches"):
        assert heading in text
    by_source = text.split("By source pair")[1].split("\n\n")[0].splitlines()[1:]
    header, rule, *rows = by_source
    assert set(rule.strip()) == {"-", " "} and rows
    assert {len(line) for line in [header, rule, *rows]} == {len(rule)}  # numbers right-aligned under headers


def test_json_report_is_plain_data() -> None:
    document = json.loads(json.dumps(report_to_dict(_score(TRUTH, _replace(PERFECT, w3="B")))))
    assert document["precision"] == pytest.approx(2 / 3)
    assert document["coverage"]["truth_records"] == 6
    assert document["over_merges"][0]["samples"][0]["record_keys"] == ["crm:c2", "web:w2"]
