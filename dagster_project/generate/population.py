"""The true people behind all records: who they are, where they live, which sources know them.

Everything a source later writes about a person is rendered (with noise) from the
``Person`` built here, and the ground truth maps every record back to ``person_id``.
Households of two share an address, a landline and a home IP address, which is what makes
them an over-merge trap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from .clock import date_text, day_number
from .noise import fresh_local_part
from .phones import mint_landline, mint_mobile
from .randomness import Weighted, derive_rng
from .reference import (
    CITIES_BY_COUNTRY,
    COUNTRY_WEIGHTS,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    STREETS,
    City,
)

#: chance that a person starts a two-person household with the next one (~10% of people end up in one)
HOUSEHOLD_START_RATE = 0.0555
#: independent membership chances; people drawn into no source are given one, which
#: lifts the shares to about 60% CRM, 60% web, 50% POS
SOURCE_RATES = {"crm": 0.56, "web": 0.56, "pos": 0.46}
#: chance a household's second member follows the first into (or out of) the web source
HOUSEHOLD_WEB_FOLLOW = 0.5
#: loyalty membership among CRM people who do / do not shop in store
LOYALTY_RATE_SHOPPERS = 0.6
LOYALTY_RATE_OTHERS = 0.25
#: chance a name comes from another country's list (people move)
FOREIGN_NAME_RATE = 0.1
_BIRTH_FIRST_DAY = day_number(date(1945, 1, 1))
_BIRTH_LAST_DAY = day_number(date(2007, 12, 31))
_GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_COUNTRIES = Weighted(COUNTRY_WEIGHTS)
_DOMAINS = {country: Weighted(pairs) for country, pairs in EMAIL_DOMAINS.items()}
_ALL_COUNTRIES = tuple(c for c, _ in COUNTRY_WEIGHTS)


@dataclass(slots=True)
class Person:
    """One real person and their true attributes (before any source mangles them)."""

    index: int
    person_id: str
    first_name: str
    last_name: str
    birth_date: str
    city: City
    street: str
    postal_code: str
    email: str
    mobile: str
    home_ip: str
    household: int = -1  # index into Population.households, -1 when living alone
    landline: str = ""  # the household's shared fixed line
    in_crm: bool = False
    in_web: bool = False
    in_pos: bool = False
    loyalty_id: str = ""

    @property
    def country(self) -> str:
        return self.city.country

    @property
    def source_count(self) -> int:
        return self.in_crm + self.in_web + self.in_pos


@dataclass
class Population:
    """All people, in ``person_id`` order, and the two-person households among them."""

    people: list[Person]
    households: list[tuple[int, int]] = field(default_factory=list)


def _name(rng: random.Random, table: dict[str, tuple[str, ...]], country: str) -> str:
    if rng.random() < FOREIGN_NAME_RATE:
        country = rng.choice(_ALL_COUNTRIES)
    return rng.choice(table[country])


def mint_street_address(rng: random.Random, country: str) -> str:
    street = rng.choice(STREETS[country])
    if country == "GB":
        address = f"{rng.randint(1, 220)} {street}"
        return f"Flat {rng.randint(1, 12)}, {address}" if rng.random() < 0.08 else address
    if country == "US":
        address = f"{rng.randint(1, 9999)} {street}"
        return f"{address}, Apt {rng.randint(1, 30)}{rng.choice('ABCD')}" if rng.random() < 0.1 else address
    if country == "DE":
        return f"{street} {rng.randint(1, 140)}{'a' if rng.random() < 0.1 else ''}"
    return f"{rng.randint(1, 120)}{' bis' if rng.random() < 0.08 else ''} {street}"


def mint_postal_code(rng: random.Random, city: City) -> str:
    prefix = rng.choice(city.postal_prefixes)
    if city.country == "GB":
        return f"{prefix} {rng.randint(1, 9)}{rng.choice(_GB_INWARD_LETTERS)}{rng.choice(_GB_INWARD_LETTERS)}"
    missing = 5 - len(prefix)
    return prefix + (f"{rng.randrange(10 ** missing):0{missing}d}" if missing else "")


def mint_ip(rng: random.Random) -> str:
    """A public-looking IPv4 address."""
    return f"{rng.randint(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"


class _UniqueEmails:
    """Hands out addresses no one else has: two real people never share a mailbox here,
    so every shared address in the output is deliberate (junk or household)."""

    def __init__(self) -> None:
        self._taken: dict[str, None] = {}

    def mint(self, rng: random.Random, first: str, last: str, birth_year: int, country: str) -> str:
        local = fresh_local_part(first, last, birth_year, rng).strip(".-_") or "user"
        domain = _DOMAINS[country].pick(rng)
        email = f"{local}@{domain}"
        while email in self._taken:
            email = f"{local}{rng.randrange(1, 999)}@{domain}"
        self._taken[email] = None
        return email


def _new_person(rng: random.Random, index: int, emails: _UniqueEmails, home: Person | None) -> Person:
    """A person; with ``home`` given, a partner moving into that person's home."""
    if home is None:
        city = rng.choice(CITIES_BY_COUNTRY[_COUNTRIES.pick(rng)])
        street, postal, ip = mint_street_address(rng, city.country), mint_postal_code(rng, city), mint_ip(rng)
        last = _name(rng, LAST_NAMES, city.country)
    else:
        city, street, postal, ip = home.city, home.street, home.postal_code, home.home_ip
        last = home.last_name if rng.random() < 0.6 else _name(rng, LAST_NAMES, city.country)
    first = _name(rng, FIRST_NAMES, city.country)
    birth_day = rng.randint(_BIRTH_FIRST_DAY, _BIRTH_LAST_DAY)
    birth = date_text(birth_day)
    return Person(
        index=index,
        person_id=f"P{index + 1:07d}",
        first_name=first,
        last_name=last,
        birth_date=birth,
        city=city,
        street=street,
        postal_code=postal,
        email=emails.mint(rng, first, last, int(birth[:4]), city.country),
        mobile=mint_mobile(rng, city),
        home_ip=ip,
    )


def _assign_sources(rng: random.Random, person: Person, partner_of: Person | None) -> None:
    person.in_crm = rng.random() < SOURCE_RATES["crm"]
    person.in_web = rng.random() < SOURCE_RATES["web"]
    person.in_pos = rng.random() < SOURCE_RATES["pos"]
    if partner_of is not None and rng.random() < HOUSEHOLD_WEB_FOLLOW:
        person.in_web = partner_of.in_web
    if not (person.in_crm or person.in_web or person.in_pos):
        source = rng.choices(("crm", "web", "pos"), weights=(6, 6, 5))[0]
        setattr(person, f"in_{source}", True)


class _LoyaltyNumbers:
    """Unique 12-digit card numbers, as printed on the card and scanned at the till."""

    def __init__(self) -> None:
        self._taken: dict[str, None] = {}

    def mint(self, rng: random.Random) -> str:
        while True:
            number = f"6345{rng.randrange(10 ** 8):08d}"
            if number not in self._taken:
                self._taken[number] = None
                return number


def build_population(seed: int, size: int) -> Population:
    """``size`` people with households, source memberships and loyalty cards."""
    rng = derive_rng(seed, "population")
    emails, cards = _UniqueEmails(), _LoyaltyNumbers()
    people: list[Person] = []
    households: list[tuple[int, int]] = []
    while len(people) < size:
        person = _new_person(rng, len(people), emails, None)
        _assign_sources(rng, person, None)
        people.append(person)
        if len(people) < size and rng.random() < HOUSEHOLD_START_RATE:
            partner = _new_person(rng, len(people), emails, person)
            _assign_sources(rng, partner, person)
            household = len(households)
            person.household = partner.household = household
            person.landline = partner.landline = mint_landline(rng, person.city)
            households.append((person.index, partner.index))
            people.append(partner)
    for person in people:
        rate = LOYALTY_RATE_SHOPPERS if person.in_pos else LOYALTY_RATE_OTHERS
        if person.in_crm and rng.random() < rate:
            person.loyalty_id = cards.mint(rng)
    return Population(people, households)

