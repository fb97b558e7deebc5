"""Point-of-sale transactions, one file per day.

Shoppers buy mostly at a home store in their city, in local time with the store's UTC
offset and currency. What identifies them varies per transaction, as at a real till: the
loyalty card (if they have one) most of the time, sometimes an e-mail or phone for the
receipt, sometimes name and postcode, often nothing at all. Some clerks type the store's
own e-mail address for customers who decline, a junk identifier shared by strangers.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from dagster_project.contracts import POS_TRANSACTIONS

from .clock import DAY_MS, date_text, iso, local_to_utc, utc_offset_minutes
from .config import GenerationConfig
from .malformed import Malformer
from .noise import NoiseProfile
from .output import SourceCounts, csv_file, landing_file
from .population import Person, Population
from .randomness import Weighted, derive_rng, geometric, poisson
from .reference import CITIES, CITIES_BY_COUNTRY, CURRENCY, City
from .truth import TruthWriter

COLUMNS = POS_TRANSACTIONS.column_names
_AT, _AMOUNT = COLUMNS.index("transaction_at"), COLUMNS.index("amount")

#: transactions per shopper per 30 days (scaled by days / 30; every shopper buys once)
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


def _plan(config: GenerationConfig, population: Population) -> list[list[Visit]]:
    """Every shopper's visits, bucketed by the store's local day. Small tuples only, so
    the transactions themselves can be rendered one day at a time."""
    rng = derive_rng(config.seed, "pos", "plan")
    by_day: list[list[Visit]] = [[] for _ in range(config.days)]
    mean = TRANSACTIONS_PER_SHOPPER * config.volume_scale
    for person in population.people:
        if not person.in_pos:
            continue
        home = rng.choice(_STORES_IN_CITY[person.city.name])
        for _ in range(max(1, poisson(rng, mean))):
            store = _pick_store(person, home, rng)
            day = rng.randrange(config.days)
            local_ms = (config.first_day + day) * DAY_MS + rng.randrange(OPEN_HOUR * 3600, CLOSE_HOUR * 3600) * 1000
            by_day[day].append(Visit(local_to_utc(STORES[store].city.zone, local_ms), store, person.index))
    return by_day


def _identifiers(person: Person, store: Store, rng: random.Random) -> dict[str, str]:
    """loyalty_id, email, phone, first_name, last_name, postal_code as keyed in at the till."""
    loyalty = person.loyalty_id if person.loyalty_id and rng.random() < LOYALTY_SHOWN else ""
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


def write_pos(config: GenerationConfig, population: Population, truth: TruthWriter) -> SourceCounts:
    """Write ``landing/pos/transactions_<date>.csv`` per day and the POS truth rows."""
    malformer = Malformer(config.seed, "pos", config.malformed_rate)
    people = population.people
    counts = SourceCounts()
    for day, visits in enumerate(_plan(config, population)):
        rng = derive_rng(config.seed, "pos", "day", day)
        day_text = date_text(config.first_day + day)
        compact_day = day_text.replace("-", "")
        sequence = [0] * len(STORES)
        with csv_file(landing_file(config, "pos", "transactions", day_text), COLUMNS) as writer:
            for visit in sorted(visits):
                store, person = STORES[visit.store], people[visit.person]
                sequence[visit.store] += 1
                transaction_id = f"{store.store_id}-{compact_day}-{sequence[visit.store]:04d}"
                zone = store.city.zone
                at = iso(visit.utc_ms, utc_offset_minutes(zone, visit.utc_ms), zulu=False, millis=False)
                amount, item_count = _basket(rng)
                values = {"transaction_id": transaction_id, "store_id": store.store_id, "transaction_at": at,
                          **_identifiers(person, store, rng), "amount": amount,
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
    counts.malformed = malformer.count
    counts.rows += malformer.count
    return counts
