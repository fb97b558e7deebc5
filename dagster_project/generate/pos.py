"""Point-of-sale transactions, one file per day.

Shoppers buy mostly at a home store in their city, in local time with the store's UTC
offset and currency. What identifies them varies per transaction, as at a real till: the
loyalty card (if they have one) most of the time, sometimes an e-mail or phone for the
receipt, sometimes name and postcode, often nothing at all. Some clerks type the store's
own e-mail address for customers who decline, a junk identifier shared by strangers.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import NamedTuple

from dagster_project.contracts import POS_TRANSACTIONS

from .clock import DAY_MS, date_text, iso, local_to_utc, utc_offset_minutes
from .config import BLOCK_DAYS, GenerationConfig
from .malformed import Malformer
from .noise import NoiseProfile
from .output import SourceCounts, csv_file, landing_file
from .population import Person, Population
from .randomness import Weighted, derive_rng, geometric, poisson
from .reference import CITIES, CITIES_BY_COUNTRY, CURRENCY, City
from .truth import TruthWriter, truth_part

COLUMNS = POS_TRANSACTIONS.column_names
_AT, _AMOUNT = COLUMNS.index("transaction_at"), COLUMNS.index("amount")

#: transactions per shopper per 30-day block (every shopper buys once in the first block)
TRANSACTIONS_PER_SHOPPER = 4.0
STORES_PER_CITY = 2
HOME_STORE_RATE = 0.7
ABROAD_RATE = 0.04  # otherwise another store in the home country
OPEN_HOUR, CLOSE_HOUR = 8, 21
#: what a customer identifies themselves with, per transaction
LOYALTY_SHOWN = 0.6
EMAIL_GIVEN = 0.25
STORE_EMAIL_RATE = 0.08  # of e-mails "given": the clerk types the store's address
PHONE_GIVEN = 0.18
LANDLINE_RATE = 0.3  # of phones given by household members
NAME_AND_POSTCODE_GIVEN = 0.2
ITEM_COUNT_MISSING = 0.02

NOISE = NoiseProfile(
    missing=0.0,  # whether a field is given at all is decided per transaction above
    email_case_space=0.2,
    email_typo=0.04,
    junk_email=0.03,
    name_case=0.3,
    name_typo=0.03,
    name_fold=0.15,
    name_apostrophe=0.3,
    junk_phone=0.04,
    phone_styles=Weighted([("national", 6), ("national_compact", 4), ("national_dashed", 2), ("national_alt", 2),
                           ("international", 1), ("e164", 1), ("international_00", 1)]),
)


class Store(NamedTuple):
    store_id: str
    city: City

    @property
    def generic_email(self) -> str:
        """The address clerks type for customers who will not give theirs."""
        return f"store{self.store_id[1:]}@shop.example"


STORES: tuple[Store, ...] = tuple(
    Store(f"S{n + 1:03d}", city) for n, city in enumerate(c for c in CITIES for _ in range(STORES_PER_CITY))
)
_STORES_IN_CITY = {city.name: [i for i, s in enumerate(STORES) if s.city == city] for city in CITIES}
_STORES_IN_COUNTRY = {
    country: [i for i, s in enumerate(STORES) if s.city.country == country] for country in CITIES_BY_COUNTRY
}


class Visit(NamedTuple):
    """A planned transaction: when, where, by whom."""

    utc_ms: int
    store: int
    person: int


def _pick_store(person: Person, home: int, rng: random.Random) -> int:
    r = rng.random()
    if r < HOME_STORE_RATE:
        return home
    if r < HOME_STORE_RATE + ABROAD_RATE:
        return rng.randrange(len(STORES))
    return rng.choice(_STORES_IN_COUNTRY[person.country])


def _home_stores(config: GenerationConfig, population: Population) -> dict[int, int]:
    """Each shopper's home store (by person index)."""
    rng = derive_rng(config.seed, "pos", "home")
    return {p.index: rng.choice(_STORES_IN_CITY[p.city.name]) for p in population.people if p.in_pos}


def _plan_block(config: GenerationConfig, population: Population, homes: dict[int, int],
                block: int) -> list[list[Visit]]:
    """Every shopper's visits in ``block``, bucketed by the store's local day, from the
    block's own random stream. Small tuples only, so the transactions themselves can be
    rendered one day at a time. Every shopper buys in the first block."""
    rng = derive_rng(config.seed, "pos", "plan", "block", block)
    by_day: list[list[Visit]] = [[] for _ in range(BLOCK_DAYS)]
    first = config.first_day + block * BLOCK_DAYS
    for person in population.people:
        if not person.in_pos:
            continue
        home = homes[person.index]
        count = poisson(rng, TRANSACTIONS_PER_SHOPPER)
        for _ in range(max(1, count) if block == 0 else count):
            store = _pick_store(person, home, rng)
            day = rng.randrange(BLOCK_DAYS)
            local_ms = (first + day) * DAY_MS + rng.randrange(OPEN_HOUR * 3600, CLOSE_HOUR * 3600) * 1000
            by_day[day].append(Visit(local_to_utc(STORES[store].city.zone, local_ms), store, person.index))
    return by_day


def _identifiers(person: Person, store: Store, has_card: bool, rng: random.Random) -> dict[str, str]:
    """loyalty_id, email, phone, first_name, last_name, postal_code as keyed in at the till."""
    loyalty = person.loyalty_id if person.loyalty_id and rng.random() < LOYALTY_SHOWN and has_card else ""
    email = ""
    if rng.random() < EMAIL_GIVEN:
        email = store.generic_email if rng.random() < STORE_EMAIL_RATE else NOISE.email(person.email, rng)
    phone = ""
    if rng.random() < PHONE_GIVEN:
        number = person.landline if person.landline and rng.random() < LANDLINE_RATE else person.mobile
        phone = NOISE.phone(number, person.country, rng)
    first = last = postal = ""
    if rng.random() < NAME_AND_POSTCODE_GIVEN:
        first, last = NOISE.name(person.first_name, rng), NOISE.name(person.last_name, rng)
        postal = NOISE.postal_code(person.postal_code, rng)
    return {"loyalty_id": loyalty, "email": email, "phone": phone,
            "first_name": first, "last_name": last, "postal_code": postal}


def _basket(rng: random.Random) -> tuple[str, str]:
    """(amount, item_count) of a plausible basket."""
    items = 1 + geometric(rng, 0.45, 11)
    amount = sum(rng.uniform(2.0, 60.0) for _ in range(items))
    return f"{amount:.2f}", "" if rng.random() < ITEM_COUNT_MISSING else str(items)


def write_pos(config: GenerationConfig, population: Population, card_from: dict[int, int],
              parts: Path) -> SourceCounts:
    """Write ``landing/pos/transactions_<date>.csv`` for each written day, and its truth part.

    ``card_from``: when each loyalty-card holder's card was issued (their CRM contact was
    created); before that the card is never shown.
    """
    people = population.people
    homes = _home_stores(config, population)
    counts = SourceCounts()
    days = config.written_days
    for block in config.blocks(days):
        plan = _plan_block(config, population, homes, block)
        for day in range(max(days.start, block * BLOCK_DAYS), min(days.stop, (block + 1) * BLOCK_DAYS)):
            rng = derive_rng(config.seed, "pos", "day", day)
            malformer = Malformer(config.seed, "pos", config.malformed_rate, day)
            day_text = date_text(config.first_day + day)
            compact_day = day_text.replace("-", "")
            sequence = [0] * len(STORES)
            path = landing_file(config, "pos", "transactions", day_text)
            with csv_file(path, COLUMNS) as writer, TruthWriter(truth_part(parts, day, "pos"), header=False) as truth:
                for visit in sorted(plan[day - block * BLOCK_DAYS]):
                    store, person = STORES[visit.store], people[visit.person]
                    sequence[visit.store] += 1
                    transaction_id = f"{store.store_id}-{compact_day}-{sequence[visit.store]:04d}"
                    zone = store.city.zone
                    at = iso(visit.utc_ms, utc_offset_minutes(zone, visit.utc_ms), zulu=False, millis=False)
                    amount, item_count = _basket(rng)
                    has_card = visit.utc_ms >= card_from.get(person.index, 0)
                    values = {"transaction_id": transaction_id, "store_id": store.store_id, "transaction_at": at,
                              **_identifiers(person, store, has_card, rng), "amount": amount,
                              "currency": CURRENCY[store.city.country], "item_count": item_count,
                              "country": store.city.country}
                    row = [values[column] for column in COLUMNS]
                    writer.writerow(row)
                    truth.add("pos", transaction_id, person.person_id)
                    counts.rows += 1
                    counts.record_keys += 1
                    if malformer.due():
                        key = f"{store.store_id}-{compact_day}-M{malformer.rng.randrange(1000):03d}"
                        writer.writerow(malformer.csv_row(row, key, (_AT,), (_AMOUNT,)))
            counts.files += 1
            counts.malformed += malformer.count
            counts.rows += malformer.count
    return counts
