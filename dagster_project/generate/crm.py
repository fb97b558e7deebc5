"""CRM contact exports: an initial full export on the first day, then a delta export every day.

The CRM holds one contact per CRM person, plus a second contact (another ``contact_id``)
for a few people who registered twice with slightly different details. Most contacts exist
before the first day; the rest register later, fewer and fewer as time goes by (a
long-tailed delay, so a year on there are still a few a day). Each delta export carries
the contacts created since the previous export and new versions (same ``contact_id``,
later ``updated_at``) of contacts changed since: a new phone or phone format, a new
address, a flipped opt-in, a corrected e-mail or name.

Contacts (and their ids) follow from the population alone, and each export draws from a
random stream of its own day, so an export does not depend on how many days are
generated. Writing day N replays the changes of the days before it without writing them.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dagster_project.contracts import CRM_CONTACTS

from .clock import DAY_MS, HOUR_MS, date_text, iso, utc_offset_minutes
from .config import GenerationConfig
from .malformed import Malformer
from .noise import NoiseProfile, case_variant, email_case_space, email_typo, typo
from .output import SourceCounts, csv_file, landing_file
from .phones import STYLES, format_phone, mint_mobile
from .population import Person, Population, mint_postal_code, mint_street_address
from .randomness import Weighted, derive_rng, poisson
from .truth import TruthWriter, truth_part

COLUMNS = CRM_CONTACTS.column_names
(CONTACT_ID, FIRST, LAST, EMAIL, PHONE, STREET, CITY, POSTAL, COUNTRY, BIRTH, LOYALTY,
 EMAIL_OPT_IN, SMS_OPT_IN, CREATED, UPDATED) = range(len(COLUMNS))
assert COLUMNS[UPDATED] == "updated_at" and COLUMNS[LOYALTY] == "loyalty_id"

#: exports happen daily at 02:00 UTC and carry everything created or changed before then
EXPORT_HOUR = 2
#: CRM people with a second, duplicate contact record, registered some time after the first
DUPLICATE_RATE = 0.065
DUPLICATE_DELAY_DAYS = 60  # scale of the (long-tailed) delay
#: chance that a contact existing at one export has changed by the next day's: ~0.8 new
#: versions per contact in 30 days (CRM rows ~1.1 per person at 30 days), ~10 in a year
UPDATE_RATE = 0.027
#: share of CRM people who register after the first day (they first appear in a delta
#: export); the delay is Lomax-distributed with this scale: 60% of them within 30 days,
#: 95% within a year
NEW_CONTACT_RATE = 0.2
NEW_CONTACT_DELAY_DAYS = 20
BIRTH_DATE_RATE = 0.7
#: household members who give the shared landline rather than their mobile
LANDLINE_RATE = 0.5
#: a duplicate contact keeps the loyalty card of the first one this often
DUPLICATE_KEEPS_CARD = 0.2
OPT_IN_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("true", "false"), ("TRUE", "FALSE"), ("yes", "no"), ("Y", "N"), ("1", "0"), ("t", "f"),
)

NOISE = NoiseProfile(
    missing=0.04,
    email_case_space=0.08,
    email_typo=0.02,
    junk_email=0.015,
    name_case=0.04,
    name_typo=0.015,
    name_fold=0.04,
    name_apostrophe=0.25,
    junk_phone=0.01,
    phone_styles=Weighted([("e164", 3), ("international", 3), ("national", 4), ("international_00", 1),
                           ("international_trunk", 1), ("national_dashed", 1), ("national_alt", 1),
                           ("national_compact", 1)]),
)


@dataclass(slots=True)
class Contact:
    """One CRM contact record and its current state (the row of its latest version)."""

    person: Person
    created_ms: int
    row: list[str]
    phone_e164: str
    email_opt_in: bool
    sms_opt_in: bool

    @property
    def contact_id(self) -> str:
        return self.row[CONTACT_ID]


def _opt_in_text(value: bool, rng: random.Random) -> str:
    yes, no = rng.choice(OPT_IN_SPELLINGS)
    return yes if value else no


def _timestamp_text(ms: int, person: Person, rng: random.Random, render: bool = True) -> str:
    """A CRM timestamp in one of the spellings exports use: UTC ``Z``, local offset,
    ``+00:00``, or no offset at all (read as UTC)."""
    kind = rng.randrange(4)
    millis = rng.random() < 0.5
    if not render:  # a replayed day: the same draws, no text (it is never written)
        return ""
    if kind == 0:
        return iso(ms, millis=millis)
    if kind == 1:
        return iso(ms, utc_offset_minutes(person.city.zone, ms), zulu=False, millis=millis)
    if kind == 2:
        return iso(ms, zulu=False, millis=millis)
    return iso(ms, millis=millis, suffix=False)


def _new_contact(person: Person, created_ms: int, rng: random.Random) -> Contact:
    """A contact as first entered, every field rendered through the CRM's noise."""
    use_landline = bool(person.landline) and rng.random() < LANDLINE_RATE
    phone_e164 = person.landline if use_landline else person.mobile
    email_opt_in, sms_opt_in = rng.random() < 0.55, rng.random() < 0.3
    missing = NOISE.missing
    row = [
        "",
        NOISE.name(person.first_name, rng),
        NOISE.name(person.last_name, rng),
        NOISE.email(person.email, rng),
        NOISE.phone(phone_e164, person.country, rng),
        "" if rng.random() < missing else person.street,
        "" if rng.random() < missing else person.city.name,
        NOISE.postal_code(person.postal_code, rng),
        "" if rng.random() < missing else person.country,
        person.birth_date if rng.random() < BIRTH_DATE_RATE else "",
        person.loyalty_id,
        "" if rng.random() < missing else _opt_in_text(email_opt_in, rng),
        "" if rng.random() < missing else _opt_in_text(sms_opt_in, rng),
        _timestamp_text(created_ms, person, rng),
        "",
    ]
    return Contact(person, created_ms, row, phone_e164, email_opt_in, sms_opt_in)


def _duplicate_contact(person: Person, created_ms: int, rng: random.Random) -> Contact:
    """A second registration of the same person, differing in one to three ways."""
    contact = _new_contact(person, created_ms, rng)
    row = contact.row
    if rng.random() >= DUPLICATE_KEEPS_CARD:
        row[LOYALTY] = ""
    for change in rng.sample(("email_typo", "email_case", "name_typo", "phone_format", "missing"), rng.randint(1, 3)):
        if change == "email_typo":
            row[EMAIL] = email_typo(person.email, rng)
        elif change == "email_case":
            row[EMAIL] = email_case_space(person.email, rng)
        elif change == "name_typo":
            column, name = rng.choice(((FIRST, person.first_name), (LAST, person.last_name)))
            row[column] = typo(name, rng)
        elif change == "phone_format":
            row[PHONE] = format_phone(contact.phone_e164, person.country, rng.choice(STYLES))
        else:
            for column in rng.sample((EMAIL, PHONE, STREET, BIRTH), rng.randint(1, 2)):
                row[column] = ""
    return contact


def _change_phone(contact: Contact, rng: random.Random) -> None:
    if rng.random() < 0.3:
        contact.phone_e164 = mint_mobile(rng, contact.person.city)
    contact.row[PHONE] = format_phone(contact.phone_e164, contact.person.country, rng.choice(STYLES))


def _change_address(contact: Contact, rng: random.Random) -> None:
    person = contact.person
    city = person.city
    contact.row[STREET] = mint_street_address(rng, city.country)
    contact.row[CITY] = city.name
    contact.row[POSTAL] = mint_postal_code(rng, city)


def _change_opt_in(contact: Contact, rng: random.Random) -> None:
    if rng.random() < 0.5:
        contact.email_opt_in = not contact.email_opt_in
        contact.row[EMAIL_OPT_IN] = _opt_in_text(contact.email_opt_in, rng)
    else:
        contact.sms_opt_in = not contact.sms_opt_in
        contact.row[SMS_OPT_IN] = _opt_in_text(contact.sms_opt_in, rng)


def _change_email(contact: Contact, rng: random.Random) -> None:
    email = contact.person.email
    contact.row[EMAIL] = email if rng.random() < 0.7 else email_case_space(email, rng)


def _change_name(contact: Contact, rng: random.Random) -> None:
    person = contact.person
    if rng.random() < 0.5:
        contact.row[FIRST], contact.row[LAST] = person.first_name, person.last_name
    else:
        contact.row[LAST] = case_variant(person.last_name, rng)


_CHANGES: Weighted[Callable[[Contact, random.Random], None]] = Weighted(
    [(_change_phone, 0.3), (_change_address, 0.2), (_change_opt_in, 0.35), (_change_email, 0.1), (_change_name, 0.05)]
)


def _delay(rng: random.Random, scale_days: float) -> int:
    """A long-tailed delay in ms (Lomax, shape 1): median ``scale_days``, no upper bound
    (capped at a century)."""
    u = rng.random()
    return int(min(scale_days * u / (1.0 - u), 36_500.0) * DAY_MS)


def build_contacts(config: GenerationConfig, population: Population) -> list[Contact]:
    """Every contact the CRM will ever hold, sorted by creation and given ids in that
    order (CRM keys grow with time). Independent of the number of days."""
    rng = derive_rng(config.seed, "crm", "contacts")
    first_export = config.start_ms + EXPORT_HOUR * HOUR_MS
    contacts: list[Contact] = []
    for person in population.people:
        if not person.in_crm:
            continue
        if rng.random() < NEW_CONTACT_RATE:
            created = config.start_ms + _delay(rng, NEW_CONTACT_DELAY_DAYS)
        else:
            created = first_export - rng.randrange(DAY_MS, 3 * 365 * DAY_MS)
        contacts.append(_new_contact(person, created, rng))
        if rng.random() < DUPLICATE_RATE:
            dup_created = created + HOUR_MS + _delay(rng, DUPLICATE_DELAY_DAYS)
            contacts.append(_duplicate_contact(person, dup_created, rng))
    contacts.sort(key=lambda c: c.created_ms)  # stable: ties keep population order
    number = 1_000_000 + rng.randrange(1000)
    for contact in contacts:
        number += rng.randint(1, 4)
        contact.row[CONTACT_ID] = f"C{number:07d}"
    return contacts


def cards_issued(contacts: list[Contact]) -> dict[int, int]:
    """When each loyalty-card holder got the card: the creation of their first contact
    carrying it (by person index)."""
    issued: dict[int, int] = {}
    for contact in contacts:  # by creation
        if contact.row[LOYALTY]:
            issued.setdefault(contact.person.index, contact.created_ms)
    return issued


def write_crm(config: GenerationConfig, contacts: list[Contact], parts: Path) -> SourceCounts:
    """Write ``landing/crm/contacts_<date>.csv`` for each written day, and its truth part
    (the contacts it exports for the first time). Days before ``config.written_from`` are
    replayed, not written: later exports carry the contacts as those days changed them."""
    created = [contact.created_ms for contact in contacts]
    counts = SourceCounts()
    previous: int | None = None
    for day in range(config.days):
        cutoff = config.start_ms + day * DAY_MS + EXPORT_HOUR * HOUR_MS
        rng = derive_rng(config.seed, "crm", "export", day)
        existing = 0 if previous is None else bisect_left(created, previous)
        new = range(existing, bisect_left(created, cutoff))
        updated = sorted(rng.sample(range(existing), min(existing, poisson(rng, UPDATE_RATE * existing))))
        rows: list[list[str]] = []
        for index in (*updated, *new):
            contact = contacts[index]
            if previous is None or index >= existing:
                at = contact.created_ms if rng.random() < 0.5 else rng.randrange(contact.created_ms, cutoff)
            else:
                for change in {_CHANGES.pick(rng): None for _ in range(rng.randint(1, 2))}:
                    change(contact, rng)
                at = rng.randrange(previous, cutoff)
            contact.row[UPDATED] = _timestamp_text(at, contact.person, rng, render=day >= config.written_from)
            rows.append(contact.row)
        previous = cutoff
        if day < config.written_from:
            continue
        malformer = Malformer(config.seed, "crm", config.malformed_rate, day)
        path = landing_file(config, "crm", "contacts", date_text(config.first_day + day))
        with csv_file(path, COLUMNS) as writer:
            for row in rows:
                writer.writerow(row)
                if malformer.due():
                    key = f"C9{malformer.rng.randrange(10**7):07d}"  # 8 digits: never a real id
                    writer.writerow(malformer.csv_row(row, key, (CREATED, UPDATED)))
        with TruthWriter(truth_part(parts, day, "crm"), header=False) as truth:
            for index in new:  # creation order is contact_id order
                truth.add("crm", contacts[index].contact_id, contacts[index].person.person_id)
        counts.files += 1
        counts.rows += len(rows) + malformer.count
        counts.malformed += malformer.count
        counts.record_keys += len(new)
    return counts
