"""The evaluation report as text (for people) and as a plain dict (for JSON and CI)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .metrics import EvaluationReport, PairScore

UNRESOLVED = "(no customer)"


def _cell(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def table(headers: list[str], rows: list[list[object]], indent: str = "  ") -> list[str]:
    """Aligned text table as lines: numbers right-aligned, text left-aligned.

    A column is numeric when all its values are; returning lines lets callers put detail
    lines under a row.
    """
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [bool(rows) and all(isinstance(r[i], (int, float)) for r in rows) for i in range(len(headers))]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(row: list[str]) -> str:
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric)]
        return (indent + "  ".join(parts)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator:,} of {denominator:,}"


def _headline(pairs: PairScore) -> list[str]:
    return [
        f"  precision  {pairs.precision:.4f}   {_ratio(pairs.true_positives, pairs.predicted_pairs)} predicted pairs are true",
        f"  recall     {pairs.recall:.4f}   {_ratio(pairs.true_positives, pairs.true_pairs)} true pairs were found",
        f"  F1         {pairs.f1:.4f}",
    ]


def _counts(report: EvaluationReport) -> list[str]:
    gap = report.resolved_customers - report.true_people
    return table(
        ["clusters", "count", "note"],
        [
            ["true people", report.true_people, ""],
            ["resolved customers", report.resolved_customers, f"{gap:+,} vs true people"],
            ["people split over customers", report.split_people, "cost recall"],
            ["customers merging people", report.merged_customers, "cost precision"],
        ],
    )


def _coverage(report: EvaluationReport) -> list[str]:
    c = report.coverage
    missing_detail = ", ".join(f"{s} {n:,}" for s, n in c.missing_by_source.items() if n)
    return table(
        ["records", "count", "how they are scored"],
        [
            ["in the truth (scored)", c.truth_records, "every truth record is scored"],
            ["missing from customer_records", c.missing_records,
             "scored as singletons" + (f" ({missing_detail})" if missing_detail else "")],
            ["in customer_records, no customer_id", c.unassigned_records, "scored as singletons"],
            ["in customer_records, not in the truth", c.extra_records, "ignored"],
            ["keys listed more than once", c.duplicate_keys,
             "WARNING: scored with the smallest customer_id" if c.duplicate_keys else "none"],
        ],
    )


def _source_pairs(report: EvaluationReport) -> list[str]:
    rows = [
        [f"{p.source_a}-{p.source_b}", p.score.true_pairs, p.score.true_positives, p.score.recall,
         p.score.predicted_pairs, p.score.precision]
        for p in report.source_pairs
    ]
    return table(["sources", "true pairs", "found", "recall", "predicted", "precision"], rows)


def _over_merges(report: EvaluationReport) -> list[str]:
    if not report.over_merges:
        return ["  none: no customer holds records of two people"]
    rows = [[m.customer_id, m.records, m.people, m.false_pairs] for m in report.over_merges]
    header, rule, *lines = table(["customer_id", "records", "people", "false pairs"], rows)
    out = [header, rule]
    for merge, row_line in zip(report.over_merges, lines):
        out.append(row_line)
        for person in merge.samples:
            records = _plural(person.records, "record", "records")
            out.append(f"      {person.person_id} ({records}): {', '.join(person.record_keys)}")
        hidden = merge.people - len(merge.samples)
        if hidden > 0:
            out.append(f"      ... and {_plural(hidden, 'more person', 'more people')}")
    return out


def _missed(report: EvaluationReport) -> list[str]:
    if not report.missed_matches:
        return ["  none: every person's records are in one customer"]
    rows = [
        [m.person_id, f"{m.source_a}:{m.record_key_a}", m.customer_a or UNRESOLVED,
         f"{m.source_b}:{m.record_key_b}", m.customer_b or UNRESOLVED]
        for m in report.missed_matches
    ]
    return table(["person_id", "record", "customer_id", "record apart", "customer_id"], rows)


def format_report(report: EvaluationReport) -> str:
    """The report as aligned text sections."""
    sections = [
        ("Identity resolution, pairwise over the truth's records", _headline(report.pairs)),
        ("People and customers", _counts(report)),
        ("Coverage", _coverage(report)),
        ("By source pair (pairs with one record from each source)", _source_pairs(report)),
        (f"Biggest over-merged customers, by false pairs (top {len(report.over_merges)})", _over_merges(report)),
        (f"Missed matches: same person, different customers (sample of {len(report.missed_matches)}, one per "
         "person; left: a record in the person's largest customer)", _missed(report)),
    ]
    return "\n\n".join(f"{title}\n" + "\n".join(lines) for title, lines in sections)


def report_to_dict(report: EvaluationReport) -> dict[str, Any]:
    """Plain JSON-ready data: every field of the report, headline scores at the top level."""
    return {"precision": report.precision, "recall": report.recall, "f1": report.f1, **asdict(report)}
