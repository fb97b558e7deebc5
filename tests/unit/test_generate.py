"""The sample-data generator: contracts, determinism, overlaps and every kind of mess.

All assertions run on data the generator really writes (a few hundred people in a temp
directory). A record is "well formed" here by the rules the extract applies (see
docs/data_contracts.md), re-implemented from ``dagster_project.contracts``.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from dagster_project.contracts import CRM_CONTACTS, POS_TRANSACTIONS, WEB_EVENTS, CsvSource
from dagster_project.generate import append, generate

PEOPLE = 500
SEED = 7
RATE = 0.01  # higher than the default so every source surely gets malformed rows
JUNK_EMAILS = {"test@test.com", "noemail@example.com"}
JUNK_PHONE = "0000000000"
CALLING_CODES = {"GB": "44", "US": "1", "DE": "49", "FR": "33"}
BOOLEANS = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"}


# -- reading what was generated --------------------------------------------------------------


def _parses(kind: str, value: str) -> bool:
    try:
        if kind == "timestamp":
            datetime.fromisoformat(value)
        elif kind == "date":
            date.fromisoformat(value)
        elif kind == "boolean":
            return value.lower() in BOOLEANS
        elif kind == "decimal":
            return re.fullmatch(r"-?\d+(\.\d+)?", value) is not None
        elif kind == "integer":
            return re.fullmatch(r"-?\d+", value) is not None
    except ValueError:
        return False
    return True


def instant(text: str) -> datetime:
    """A timestamp as the contract reads it: no offset means UTC."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def csv_row_ok(source: CsvSource, row: list[str]) -> bool:
    """Whether the extract would load ``row`` (right width, required values, types)."""
    if len(row) != len(source.fields):
        return False
    for f, value in zip(source.fields, row):
        if value == "":
            if f.required_value:
                return False
        elif not _parses(f.type, value):
            return False
    return True


def web_event(line: str) -> dict[str, Any] | None:
    """The parsed event, or None when the extract would reject the line."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(event, dict) or event.get("type") not in WEB_EVENTS.event_types:
        return None
    if not event.get("messageId") or not (event.get("anonymousId") or event.get("userId")):
        return None
    if not isinstance(event.get("timestamp"), str) or not _parses("timestamp", event["timestamp"]):
        return None
    return event


@dataclass
class Sample:
    root: Path
    headers: dict[str, list[list[str]]] = field(default_factory=dict)
    crm: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (file, row)
    pos: list[dict[str, str]] = field(default_factory=list)
    web: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (file, event)
    bad: Counter[str] = field(default_factory=Counter)
    truth: dict[tuple[str, str], str] = field(default_factory=dict)

    def person(self, source: str, key: str) -> str:
        return self.truth[(source, key)]


def load(root: Path) -> Sample:
    sample = Sample(root)
    for name, source in (("crm", CRM_CONTACTS), ("pos", POS_TRANSACTIONS)):
        sample.headers[name] = []
        for path in sorted((root / "landing" / name).glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as handle:
                header, *rows = list(csv.reader(handle))
            sample.headers[name].append(header)
            for row in rows:
                if not csv_row_ok(source, row):
                    sample.bad[name] += 1
                elif name == "crm":
                    sample.crm.append((path.name, dict(zip(header, row))))
                else:
                    sample.pos.append(dict(zip(header, row)))
    for path in sorted((root / "landing" / "web").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = web_event(line)
            if event is None:
                sample.bad["web"] += 1
            else:
                sample.web.append((path.name, event))
    with (root / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["source", "record_key", "person_id"]
        for source, key, person in reader:
            assert (source, key) not in sample.truth, f"truth repeats {source} {key}"
            sample.truth[(source, key)] = person
    return sample


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def normalised_phone(raw: str, country: str) -> str:
    """E.164 digits of a phone written in any of the generated styles."""
    raw = raw.replace("(0)", "")
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if country == "US":
        return "1" + digits[-10:]
    return CALLING_CODES[country] + digits.lstrip("0")


def phone_style(raw: str) -> str:
    if re.fullmatch(r"\+\d+", raw):
        return "e164"
    if raw.startswith("+"):
        return "international with (0)" if "(0)" in raw else "international"
    if raw.startswith("00"):
        return "00 prefix"
    if raw.startswith("("):
        return "parenthesised"
    for mark, style in (("-", "dashed"), (".", "dotted"), (" ", "spaced")):
        if mark in raw:
            return style
    return "compact"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    generate(PEOPLE, SEED, root, malformed_rate=RATE)
    return root


@pytest.fixture(scope="module")
def sample(out: Path) -> Sample:
    return load(out)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    generate(PEOPLE, SEED, root, malformed_rate=0)
    return root


# -- determinism and layout -------------------------------------------------------------------


def test_same_arguments_give_identical_bytes_whatever_the_workers(out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    summary = generate(PEOPLE, SEED, again, malformed_rate=RATE, workers=1)
    assert files(again) == files(out)
    threaded = tmp_path / "three"
    generate(PEOPLE, SEED, threaded, malformed_rate=RATE, workers=3)
    assert files(threaded) == files(out)
    assert summary.truth_rows == len(load(out).truth)


def test_another_seed_gives_other_data(out: Path, tmp_path: Path) -> None:
    generate(PEOPLE, SEED + 1, tmp_path, malformed_rate=RATE)
    mine, theirs = files(out), files(tmp_path)
    assert mine.keys() == theirs.keys()
    assert all(mine[name] != theirs[name] for name in mine)


def test_layout_one_file_per_source_and_day_truth_beside_landing(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["ground_truth.csv", "landing"]
    assert not list((out / "landing").rglob("ground_truth*"))
    web = sorted(p.name for p in (out / "landing" / "web").iterdir())
    pos = sorted(p.name for p in (out / "landing" / "pos").iterdir())
    crm = sorted(p.name for p in (out / "landing" / "crm").iterdir())
    assert web[0] == "events_2026-01-01.jsonl" and web[-1] == "events_2026-01-30.jsonl" and len(web) == 30
    assert pos[0] == "transactions_2026-01-01.csv" and len(pos) == 30
    assert crm[0] == "contacts_2026-01-01.csv" and crm[-1] == "contacts_2026-01-30.csv" and len(crm) == 30


def test_rerun_into_the_same_directory_replaces_the_old_files(tmp_path: Path) -> None:
    generate(30, 1, tmp_path, days=12)
    generate(30, 1, tmp_path, days=3)
    assert len(list((tmp_path / "landing" / "web").iterdir())) == 3
    assert len(list((tmp_path / "landing" / "crm").iterdir())) == 3


def test_csv_headers_are_the_contract_columns(sample: Sample) -> None:
    assert sample.headers["crm"] and sample.headers["pos"]
    assert all(h == CRM_CONTACTS.column_names for h in sample.headers["crm"])
    assert all(h == POS_TRANSACTIONS.column_names for h in sample.headers["pos"])


def test_cli_prints_a_summary_and_writes_the_sample(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "dagster_project.generate", "--people", "40", "--seed", "3", "--out", str(tmp_path),
           "--days", "5", "--start-date", "2026-03-01"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert re.match(r"40 people: crm \d+ rows .* web \d+ events .* pos \d+ rows .* s -> ", done.stdout)
    assert (tmp_path / "landing" / "web" / "events_2026-03-05.jsonl").exists()
    bad = subprocess.run([*cmd[:4], "0", *cmd[5:]], capture_output=True, text=True)
    assert bad.returncode != 0 and "people must be at least 1" in bad.stderr


# -- contract and truth -----------------------------------------------------------------------


def test_every_well_formed_web_line_is_a_segment_call(sample: Sample) -> None:
    types = Counter(event["type"] for _, event in sample.web)
    assert set(types) == set(WEB_EVENTS.event_types)
    for _, event in sample.web:
        for key in ("originalTimestamp", "sentAt", "receivedAt"):
            assert _parses("timestamp", event[key])
        ts, received = (datetime.fromisoformat(event[k]) for k in ("timestamp", "receivedAt"))
        assert abs((datetime.fromisoformat(event["originalTimestamp"]) - ts).total_seconds()) < 5
        assert received >= ts
        if event["type"] == "identify":
            assert "email" in event["traits"] and "traits" not in event["context"]
        if event["type"] == "alias":
            assert event["previousId"] and event["userId"]
        if event["type"] == "group":
            assert event["groupId"] and event["traits"]["name"]
        if event["type"] == "screen":
            assert event["context"]["device"]["id"] and event["context"]["device"]["type"] in ("ios", "android")
        if event["type"] == "page":
            assert {"path", "title", "url"} <= set(event["context"]["page"])
    tracks = {event["event"]: event["properties"] for _, event in sample.web if event["type"] == "track"}
    assert set(tracks) == {"Product Viewed", "Product Added", "Order Completed", "Consent Updated",
                           "Segment Consent Preference Updated"}
    assert {"product_id", "sku", "name", "price", "quantity"} <= set(tracks["Product Added"])
    assert {"order_id", "revenue", "currency", "products"} <= set(tracks["Order Completed"])
    assert any("traits" in e["context"] for _, e in sample.web if e["type"] != "identify")
    assert any("campaign" in e["context"] for _, e in sample.web)
    offsets = Counter(re.search(r"(Z|[+-]\d\d:\d\d)$", e["originalTimestamp"]).group(1) for _, e in sample.web)
    assert {"+00:00", "+01:00", "-05:00", "-08:00"} <= set(offsets)
    assert any(e["timestamp"].endswith("Z") for _, e in sample.web)


def test_truth_covers_exactly_the_well_formed_record_keys(sample: Sample) -> None:
    keys = {("crm", row["contact_id"]) for _, row in sample.crm}
    keys |= {("pos", row["transaction_id"]) for row in sample.pos}
    keys |= {("web", event["messageId"]) for _, event in sample.web}
    assert keys == set(sample.truth)
    assert set(sample.truth.values()) <= {f"P{i:07d}" for i in range(1, PEOPLE + 1)}


CONSENT_EVENTS = {"Consent Updated", "Segment Consent Preference Updated"}


def _is_consent_line(line: str) -> bool:
    event = web_event(line)
    return event is not None and event.get("event") in CONSENT_EVENTS


def test_consent_calls_follow_the_documented_forms(sample: Sample) -> None:
    """docs/data_contracts.md, Consent: the cookie banner (Segment's own event, answers in
    context.consent.categoryPreferences) and the preferences page (Consent Updated, booleans)."""
    consent = [event for _, event in sample.web if event.get("event") in CONSENT_EVENTS]
    banners = [e for e in consent if e["event"] == "Segment Consent Preference Updated"]
    pages = [e for e in consent if e["event"] == "Consent Updated"]
    assert banners and pages
    for event in banners:
        preferences = event["context"]["consent"]["categoryPreferences"]
        assert isinstance(preferences["Advertising"], bool) and preferences["Necessary"] is True
    for event in pages:
        assert event["userId"] and set(event["properties"]) == {"email", "sms", "ads"}
        assert all(isinstance(v, bool) for v in event["properties"].values())
    # the banner is answered once at most per person (on their first visit), by most web visitors
    people = Counter(sample.person("web", e["messageId"]) for e in banners)
    assert max(people.values()) == 1
    web_people = {sample.person("web", e["messageId"]) for _, e in sample.web}
    assert 0.5 < len(people) / len(web_people) < 0.9
    # answers vary
    assert {e["context"]["consent"]["categoryPreferences"]["Advertising"] for e in banners} == {True, False}
    assert {e["properties"]["email"] for e in pages} == {True, False}


def test_consent_calls_leave_every_other_line_as_it_was(clean: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Consent calls draw from their own random stream: without them the files are the same
    minus the consent lines (so adding them did not change the existing sample)."""
    from dagster_project.generate import web

    monkeypatch.setattr(web, "BANNER_ANSWER_RATE", 0.0)
    monkeypatch.setattr(web, "PREFERENCES_RATE", 0.0)
    generate(PEOPLE, SEED, tmp_path, malformed_rate=0, workers=1)
    without, with_consent = files(tmp_path), files(clean)
    assert without.keys() == with_consent.keys()
    added = 0
    for name, content in with_consent.items():
        lines = content.decode().splitlines()
        kept = [line for line in lines if not _is_consent_line(line)]
        added += len(lines) - len(kept)
        if name == "ground_truth.csv":
            assert set(without[name].decode().splitlines()) <= set(lines)
        else:
            assert kept == without[name].decode().splitlines(), name
    assert added > 0


def test_malformed_rows_only_when_asked_and_nothing_else_changes(sample: Sample, out: Path, clean: Path) -> None:
    assert all(sample.bad[source] > 0 for source in ("crm", "web", "pos")), sample.bad
    plain = load(clean)
    assert not plain.bad
    assert plain.truth == sample.truth
    assert plain.crm == sample.crm and plain.pos == sample.pos and plain.web == sample.web
    lines = [line for p in sorted((out / "landing" / "web").glob("*.jsonl")) for line in p.read_text().splitlines()]
    broken = [line for line in lines if web_event(line) is None]
    assert any(not line.endswith("}") for line in broken)  # cut-off JSON
    assert any(line.endswith("}") and '"messageId"' not in line for line in broken)


def test_volumes_per_person_are_roughly_as_documented(sample: Sample) -> None:
    assert 0.9 < len(sample.crm) / PEOPLE < 1.3
    assert 7 < len(sample.web) / PEOPLE < 12
    assert 1.6 < len(sample.pos) / PEOPLE < 2.4


# -- overlaps ---------------------------------------------------------------------------------


def test_people_are_in_one_two_and_three_sources(sample: Sample) -> None:
    sources: dict[str, set[str]] = defaultdict(set)
    for (source, _), person in sample.truth.items():
        sources[person].add(source)
    # everyone is in at least one source, except a few CRM-only people who register later
    assert 0.97 * PEOPLE < len(sources) <= PEOPLE
    per_count = Counter(len(s) for s in sources.values())
    assert per_count[1] and per_count[2] and per_count[3]
    share = {name: sum(name in s for s in sources.values()) / PEOPLE for name in ("crm", "web", "pos")}
    assert 0.5 < share["crm"] < 0.7 and 0.5 < share["web"] < 0.7 and 0.4 < share["pos"] < 0.6


def test_web_visitors_anonymous_only_identified_later_and_on_several_devices(sample: Sample) -> None:
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, event in sample.web:
        by_person[sample.person("web", event["messageId"])].append(event)
    anonymous_only = [p for p, events in by_person.items() if not any(e.get("userId") for e in events)]
    assert 0.15 < len(anonymous_only) / len(by_person) < 0.35
    devices = Counter(len({e["anonymousId"] for e in events if "anonymousId" in e}) for events in by_person.values())
    assert devices[1] and devices[2] and devices[3]
    later = 0
    for events in by_person.values():
        for device in {e.get("anonymousId") for e in events}:
            seen = sorted((e["timestamp"], bool(e.get("userId"))) for e in events if e.get("anonymousId") == device)
            later += any(not a[1] and b[1] for a, b in zip(seen, seen[1:]))
    assert later > 10
    users = {e["userId"] for _, e in sample.web if e.get("userId")}
    assert all(re.fullmatch(r"U\d+", u) for u in users)
    server_side = [e for _, e in sample.web if e.get("userId") and "anonymousId" not in e]
    assert server_side and all(e["event"] == "Order Completed" for e in server_side)


def test_a_family_computer_is_shared_by_two_people_with_their_own_logins(sample: Sample) -> None:
    people: dict[str, set[str]] = defaultdict(set)
    users: dict[str, set[str]] = defaultdict(set)
    for _, event in sample.web:
        if "anonymousId" in event:
            people[event["anonymousId"]].add(sample.person("web", event["messageId"]))
            if event.get("userId"):
                users[event["anonymousId"]].add(event["userId"])
    shared = [a for a, who in people.items() if len(who) == 2]
    assert shared and all(len(people[a]) <= 2 for a in people)
    assert any(len(users[a]) == 2 for a in shared)


# -- noise ------------------------------------------------------------------------------------


def test_at_least_once_delivery_repeats_message_ids_sometimes_in_the_next_file(sample: Sample) -> None:
    files_of: dict[str, list[str]] = defaultdict(list)
    for name, event in sample.web:
        files_of[event["messageId"]].append(name)
    repeated = {m: f for m, f in files_of.items() if len(f) > 1}
    assert 0.003 < len(repeated) / len(files_of) < 0.02
    assert any(f[0] == f[1] for f in repeated.values()) and any(f[0] != f[1] for f in repeated.values())


def test_crm_has_duplicate_contacts_and_newer_versions_across_exports(sample: Sample) -> None:
    contacts: dict[str, set[str]] = defaultdict(set)
    for _, row in sample.crm:
        contacts[sample.person("crm", row["contact_id"])].add(row["contact_id"])
    crm_people = len(contacts)
    duplicated = sum(len(ids) > 1 for ids in contacts.values())
    assert 0.02 < duplicated / crm_people < 0.12
    versions: dict[str, list[tuple[str, dict[str, str]]]] = defaultdict(list)
    for name, row in sample.crm:
        versions[row["contact_id"]].append((name, row))
    changed = 0
    for rows in versions.values():
        assert len({name for name, _ in rows}) == len(rows)  # one version per export
        for (_, old), (_, new) in zip(rows, rows[1:]):
            assert instant(new["updated_at"]) > instant(old["updated_at"])
            assert new["created_at"] == old["created_at"]
            changed += any(old[c] != new[c] for c in ("phone", "street", "email_opt_in", "sms_opt_in", "email"))
    assert changed > 20
    spellings = Counter(row[c] for _, row in sample.crm for c in ("email_opt_in", "sms_opt_in"))
    assert {"true", "yes", "Y", "1", "FALSE", "no", "N", "0"} <= set(spellings)
    assert any(row["loyalty_id"] for _, row in sample.crm)


def test_emails_vary_in_case_whitespace_and_spelling_and_junk_is_shared(sample: Sample) -> None:
    emails = [(row["email"], "crm", row["contact_id"]) for _, row in sample.crm]
    emails += [(row["email"], "pos", row["transaction_id"]) for row in sample.pos]
    emails += [(e["traits"]["email"], "web", e["messageId"]) for _, e in sample.web if e["type"] == "identify"]
    values = [email for email, _, _ in emails if email]
    assert any(e != e.strip() for e in values)
    assert any(e.strip() != e.strip().lower() for e in values)
    by_address: dict[str, set[str]] = defaultdict(set)
    for email, source, key in emails:
        by_address[email.strip().lower()].add(sample.person(source, key))
    for junk in JUNK_EMAILS:
        assert len(by_address[junk]) >= 2, junk
    store_emails = {a for a in by_address if re.fullmatch(r"store\d{3}@shop\.example", a)}
    assert any(len(by_address[a]) >= 2 for a in store_emails)
    # a typo: one person, two addresses that differ by one letter (neither being junk)
    spellings: dict[str, set[str]] = defaultdict(set)
    for address, who in by_address.items():
        if len(who) == 1 and address not in JUNK_EMAILS:
            spellings[next(iter(who))].add(address)
    assert sum(len(s) > 1 for s in spellings.values()) > 5


def test_phones_come_in_many_formats_and_households_share_one(sample: Sample) -> None:
    phones = [(row["phone"], row["country"], sample.person("crm", row["contact_id"])) for _, row in sample.crm]
    styles = Counter(phone_style(p) for p, _, _ in phones if p and p != JUNK_PHONE)
    styles.update(phone_style(row["phone"]) for row in sample.pos if row["phone"] and row["phone"] != JUNK_PHONE)
    assert len(styles) >= 7, styles
    owners: dict[str, set[str]] = defaultdict(set)
    for raw, country, person in phones:
        if raw == JUNK_PHONE:
            owners[JUNK_PHONE].add(person)
        elif raw and country:
            owners[normalised_phone(raw, country)].add(person)
    shared = [number for number, who in owners.items() if len(who) == 2 and number != JUNK_PHONE]
    assert shared, "no household landline shared by two people"
    assert all(len(who) <= 2 for number, who in owners.items() if number != JUNK_PHONE)
    junk_users = owners[JUNK_PHONE] | {sample.person("pos", r["transaction_id"]) for r in sample.pos
                                       if r["phone"] == JUNK_PHONE}
    assert len(junk_users) >= 2


def test_names_keep_diacritics_apostrophes_hyphens_and_get_mangled(sample: Sample) -> None:
    names = [row[c] for _, row in sample.crm for c in ("first_name", "last_name")]
    names += [row[c] for row in sample.pos for c in ("first_name", "last_name")]
    assert any(re.search(r"[^\x00-\x7f]", n) for n in names)
    assert any("'" in n for n in names) and any("-" in n for n in names)
    assert any(n.isupper() and len(n) > 2 for n in names)
    assert any(n == "" for n in names)


def test_pos_identifies_shoppers_inconsistently(sample: Sample) -> None:
    rows = sample.pos
    identifiers = ("loyalty_id", "email", "phone", "first_name", "postal_code")
    assert any(not any(r[c] for c in identifiers) for r in rows)
    for column in identifiers:
        assert 0.05 < sum(bool(r[column]) for r in rows) / len(rows) < 0.6, column
    assert {r["currency"] for r in rows} == {"GBP", "USD", "EUR"}
    offsets = {r["transaction_at"][-6:] for r in rows}
    assert {"+00:00", "+01:00", "-05:00"} <= offsets
    crm_cards = {r["loyalty_id"]: sample.person("crm", r["contact_id"]) for _, r in sample.crm if r["loyalty_id"]}
    scanned = [r for r in rows if r["loyalty_id"]]
    assert scanned and all(crm_cards[r["loyalty_id"]] == sample.person("pos", r["transaction_id"]) for r in scanned)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(0, 1, tmp_path)
    with pytest.raises(ValueError):
        generate(10, 1, tmp_path, days=0)
    with pytest.raises(ValueError):
        generate(10, 1, tmp_path, malformed_rate=0.9)


# -- appending the following days -------------------------------------------------------------

APPEND_PEOPLE = 300


def _truth_rows(root: Path) -> list[str]:
    return (root / "ground_truth.csv").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(("history", "more"), [(4, 1), (29, 2)])  # (29, 2) crosses a 30-day planning block
def test_appending_days_gives_the_files_of_one_longer_run(tmp_path: Path, history: int, more: int) -> None:
    """History plus appended days is byte-for-byte the one-shot run of all the days; no
    existing file changes, the truth file only grows."""
    oneshot, appended = tmp_path / "oneshot", tmp_path / "appended"
    generate(APPEND_PEOPLE, SEED, oneshot, days=history + more, malformed_rate=RATE, workers=1)
    generate(APPEND_PEOPLE, SEED, appended, days=history, malformed_rate=RATE, workers=1)
    before = files(appended)
    summary = append(APPEND_PEOPLE, SEED, appended, days=more, malformed_rate=RATE, workers=2)
    after = files(appended)
    assert after == files(oneshot)
    truth = "ground_truth.csv"
    assert {name: after[name] for name in before if name != truth} == {n: b for n, b in before.items() if n != truth}
    assert after[truth].startswith(before[truth]) and len(after[truth]) > len(before[truth])
    new_files = sorted(set(after) - set(before))
    assert len(new_files) == 3 * more and summary.crm.files == summary.web.files == summary.pos.files == more
    assert summary.truth_rows == after[truth].count(b"\n") - before[truth].count(b"\n")


def test_appended_day_updates_existing_contacts_adds_new_ones_and_truth_covers_its_keys(tmp_path: Path) -> None:
    generate(APPEND_PEOPLE, SEED, tmp_path, days=5, malformed_rate=0)
    history = load(tmp_path)
    append(APPEND_PEOPLE, SEED, tmp_path, malformed_rate=0)
    grown = load(tmp_path)
    new_day = "2026-01-06"
    # the truth file gained exactly the keys first seen in the new day's files
    appended_truth = _truth_rows(tmp_path)[len(history.truth) + 1:]
    assert {tuple(r.split(",")[:2]) for r in appended_truth} == set(grown.truth) - set(history.truth)
    assert all(grown.truth[key] == person for key, person in history.truth.items())
    new_keys = {("crm", row["contact_id"]) for name, row in grown.crm if new_day in name}
    new_keys |= {("pos", row["transaction_id"]) for row in grown.pos
                 if row["transaction_id"].split("-")[1] == new_day.replace("-", "")}
    new_keys |= {("web", event["messageId"]) for name, event in grown.web if new_day in name}
    assert set(grown.truth) - set(history.truth) <= new_keys
    # the CRM export of the new day: newer versions of known contacts and new contacts
    latest = {row["contact_id"]: row for _, row in history.crm}
    exported = [row for name, row in grown.crm if new_day in name]
    updates = [row for row in exported if row["contact_id"] in latest]
    fresh = [row for row in exported if row["contact_id"] not in latest]
    assert updates and fresh
    for row in updates:
        old = latest[row["contact_id"]]
        assert instant(row["updated_at"]) > instant(old["updated_at"]) and row["created_at"] == old["created_at"]
    assert all(("crm", row["contact_id"]) in set(grown.truth) - set(history.truth) for row in fresh)
    # the same people come back: most of the day's web and POS people were seen before
    seen = set(history.truth.values())
    people = {grown.truth[key] for key in new_keys if key[0] != "crm"}
    assert people and len(people & seen) / len(people) > 0.7


def test_daily_volume_does_not_depend_on_the_number_of_days(tmp_path: Path) -> None:
    generate(APPEND_PEOPLE, SEED, tmp_path, days=90, malformed_rate=0)
    sample = load(tmp_path)
    web = Counter(name[7:14] for name, _ in sample.web)  # events_YYYY-MM
    pos = Counter(row["transaction_id"].split("-")[1][:6] for row in sample.pos)
    assert 0.8 < web["2026-03"] / web["2026-01"] < 1.25 and 0.8 < pos["202603"] / pos["202601"] < 1.25
    assert len(list((tmp_path / "landing" / "crm").iterdir())) == 90


def test_append_refuses_a_missing_or_different_data_set(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no generated data set"):
        append(APPEND_PEOPLE, SEED, tmp_path)
    generate(APPEND_PEOPLE, SEED, tmp_path, days=3)
    before = files(tmp_path)
    with pytest.raises(ValueError, match="no generated data set"):
        append(APPEND_PEOPLE, SEED, tmp_path, start_date=date(2026, 1, 2))
    with pytest.raises(ValueError, match="arguments the data set was made with"):
        append(APPEND_PEOPLE, SEED + 1, tmp_path)
    assert files(tmp_path) == before


def test_cli_appends_a_day(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "dagster_project.generate", "--people", "40", "--seed", "3", "--out", str(tmp_path)]
    subprocess.run([*base, "--days", "3"], capture_output=True, text=True, check=True)
    done = subprocess.run([*base, "--append-days", "1"], capture_output=True, text=True, check=True)
    assert re.match(r"40 people: crm \d+ rows \(1 files", done.stdout)
    assert (tmp_path / "landing" / "pos" / "transactions_2026-01-04.csv").exists()
