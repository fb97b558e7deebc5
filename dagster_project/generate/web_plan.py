"""Who browses the site, on which devices, in which sessions, logged in or not.

Planning is separate from writing so that a day's events can be rendered from the plan
alone: every session knows up front whether it is anonymous, the one where the visitor
logs in on that device, or already logged in. That keeps memory to one small tuple per
session and lets each day draw from its own random stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from .clock import DAY_MS, HOUR_MS, local_to_utc
from .config import BLOCK_DAYS, GenerationConfig
from .noise import NoiseProfile
from .population import Person, Population
from .randomness import Weighted, derive_rng, poisson, uuid4
from .reference import APP_DEVICES, APP_VERSION, BROWSER_AGENTS, COMPANIES

#: web visitors who never identify in the window
ANONYMOUS_ONLY_RATE = 0.25
#: sessions per visitor per 30-day block (every visitor has one at least in the first block).
#: With ~3.5 events a session this gives ~9 events per person of the whole population:
#: 10 would push the committed 2,000-person sample past 15 MB.
SESSIONS_PER_VISITOR = 4.4
DEVICE_COUNT = Weighted([(1, 0.55), (2, 0.3), (3, 0.15)])
DEVICE_KINDS = Weighted([("desktop", 0.45), ("mobile_web", 0.3), ("ios", 0.13), ("android", 0.12)])
#: index of the session in which an identifying visitor first logs in (capped by their sessions)
FIRST_LOGIN_SESSION = Weighted([(0, 0.35), (1, 0.25), (2, 0.15), (3, 0.1), (4, 0.15)])
#: households of two web visitors sharing a family computer (one anonymousId, two userIds)
SHARED_COMPUTER_RATE = 0.6
#: devices whose timestamps are written in UTC (``Z``); the rest use the local offset
ZULU_DEVICE_RATE = 0.7
#: devices whose SDK repeats the identified traits in ``context.traits`` on every call
TRAITS_IN_CONTEXT_RATE = 0.3
ALIAS_RATE = 0.3
GROUP_RATE = 0.03
#: local start hour of sessions (evenings are busiest)
START_HOURS = Weighted([(h, 1 if h < 7 else 4 if h < 12 else 5 if h < 18 else 8 if h < 23 else 3) for h in range(24)])
LOCALES = {"GB": "en-GB", "US": "en-US", "DE": "de-DE", "FR": "fr-FR"}
TRAIT_NOISE = NoiseProfile(
    missing=0.0,
    email_case_space=0.1,
    email_typo=0.02,
    junk_email=0.01,
    name_case=0.05,
    name_typo=0.01,
    name_fold=0.05,
    name_apostrophe=0.2,
    junk_phone=0.01,
    phone_styles=Weighted([("e164", 4), ("international", 3), ("national", 3), ("national_compact", 1),
                           ("international_00", 1), ("national_alt", 1)]),
)

#: session modes: anonymous throughout; logs in part-way (FIRST_LOGIN: for the first time in
#: the window, when alias and group calls are made); logged in from the start
ANONYMOUS, FIRST_LOGIN, LOGIN, LOGGED_IN = 0, 1, 2, 3


@dataclass(slots=True)
class Device:
    """A browser or app install: one anonymousId and the context its SDK sends."""

    anonymous_id: str
    kind: str  # desktop | mobile_web | ios | android
    zone: str
    zulu: bool
    skew_ms: int  # the device clock's error, seen in originalTimestamp / sentAt
    home_ip: str
    context: dict[str, Any]  # the static part of every event's context
    traits_in_context: bool
    shared: bool = False  # a family computer two people log into


@dataclass(slots=True)
class Visitor:
    """A web person: account (``user_id`` "" = never identifies), devices, traits."""

    person: Person
    user_id: str
    devices: list[Device]
    first_login: int
    alias: bool  # sends an alias call on first login
    group: tuple[str, str] | None  # (groupId, company) sent on first login
    context_email: str  # the address the SDK remembers after identify


class Session(NamedTuple):
    """One planned visit; sortable by start time."""

    start_ms: int
    visitor: int
    seq: int  # chronological index among the visitor's sessions of its block, +1 after the
    # first block: 0 only for the visitor's very first session
    device: int
    mode: int  # ANONYMOUS, FIRST_LOGIN, LOGIN or LOGGED_IN


@dataclass
class WebPlan:
    """The sessions of one planning block: ``by_day[i]`` are those of window day ``first + i``."""

    visitors: list[Visitor]
    by_day: list[list[Session]]
    first: int = 0

    def sessions(self, day: int) -> list[Session]:
        return self.by_day[day - self.first]


_APP = {"name": "Shop", "version": APP_VERSION[0], "build": APP_VERSION[1]}
_BROWSER_LIBRARY = {"name": "analytics.js", "version": "3.2.1"}
_APP_LIBRARY = {kind: {"name": f"analytics-{kind}", "version": "4.1.8"} for kind in APP_DEVICES}
_OS = {(name, version): {"name": name, "version": version}
       for models in APP_DEVICES.values() for _, _, name, version in models}


def _device(person: Person, kind: str, rng: random.Random) -> Device:
    """A device of ``kind``. Context parts that do not vary are shared objects (never
    mutated: events copy the context before adding to it), which keeps a million-person
    plan in memory."""
    locale = LOCALES[person.country]
    if kind in APP_DEVICES:
        manufacturer, model, os_name, os_version = rng.choice(APP_DEVICES[kind])
        context: dict[str, Any] = {
            "app": _APP,
            "device": {"id": uuid4(rng).upper() if kind == "ios" else f"{rng.getrandbits(64):016x}",
                       "type": kind, "manufacturer": manufacturer, "model": model},
            "os": _OS[os_name, os_version],
            "library": _APP_LIBRARY[kind],
            "locale": locale,
        }
    else:
        agent = rng.choice(BROWSER_AGENTS["desktop" if kind == "desktop" else "mobile"])
        context = _browser_context(agent, locale)
    return Device(
        anonymous_id=uuid4(rng),
        kind=kind,
        zone=person.city.zone,
        zulu=rng.random() < ZULU_DEVICE_RATE,
        skew_ms=rng.randint(-300, 300),
        home_ip=person.home_ip,
        context=context,
        traits_in_context=rng.random() < TRAITS_IN_CONTEXT_RATE,
    )


@lru_cache(maxsize=None)
def _browser_context(agent: str, locale: str) -> dict[str, Any]:
    return {"library": _BROWSER_LIBRARY, "userAgent": agent, "locale": locale}


def _group(rng: random.Random) -> tuple[str, str]:
    """(groupId, company name): a few ids per company, so unrelated people share groups."""
    return f"G{rng.randrange(100, 100 + 3 * len(COMPANIES))}", rng.choice(COMPANIES)


def _visitor(person: Person, user_number: int, rng: random.Random) -> Visitor:
    devices = [_device(person, DEVICE_KINDS.pick(rng), rng) for _ in range(DEVICE_COUNT.pick(rng))]
    identifies = rng.random() >= ANONYMOUS_ONLY_RATE
    return Visitor(
        person=person,
        user_id=f"U{user_number}" if identifies else "",
        devices=devices,
        first_login=FIRST_LOGIN_SESSION.pick(rng),
        alias=rng.random() < ALIAS_RATE,
        group=_group(rng) if rng.random() < GROUP_RATE else None,
        context_email=TRAIT_NOISE.email(person.email, rng),
    )


def _share_family_computer(first: Visitor, second: Visitor, user_number: int, rng: random.Random) -> int:
    """Put one desktop in front of both household members, each logging in as themselves.

    Both are made identifying visitors (the point is two userIds on one anonymousId).
    Returns the next free account number.
    """
    for visitor in (first, second):
        if not visitor.user_id:
            visitor.user_id = f"U{user_number}"
            user_number += rng.randint(1, 13)
    computer = _device(first.person, "desktop", rng)
    computer.shared = True
    first.devices.insert(0, computer)
    second.devices.insert(0, computer)
    return user_number


def _schedule(visitor: Visitor, index: int, config: GenerationConfig, block: int,
              rng: random.Random) -> list[Session]:
    """The visitor's sessions in ``block`` in time order, each with its device and login mode.

    In the first block every visitor comes at least once and an identifying visitor logs in
    for the first time (``FIRST_LOGIN``) within it. A remembered login lasts until the end of
    its block: in later blocks the first session on each device logs in again (``LOGIN``),
    so a block's plan needs nothing from the blocks before it.
    """
    zone = visitor.person.city.zone
    block_start = config.start_ms + block * BLOCK_DAYS * DAY_MS
    window = BLOCK_DAYS * DAY_MS
    count = poisson(rng, SESSIONS_PER_VISITOR)
    if block == 0:
        count = max(1, count)
    starts = []
    for _ in range(count):
        local = (config.first_day + block * BLOCK_DAYS + rng.randrange(BLOCK_DAYS)) * DAY_MS
        utc = local_to_utc(zone, local + START_HOURS.pick(rng) * HOUR_MS + rng.randrange(HOUR_MS))
        starts.append(block_start + (utc - block_start) % window)  # keep inside the block
    starts.sort()
    first_login = min(visitor.first_login, len(starts) - 1) if block == 0 else 0
    logged_in: list[int] = []
    sessions = []
    for seq, start in enumerate(starts):
        device = 0 if seq == 0 or rng.random() < 0.5 else rng.randrange(len(visitor.devices))
        if not visitor.user_id or seq < first_login:
            mode = ANONYMOUS
        elif visitor.devices[device].shared or device not in logged_in:
            # shared computer: the other person logged in last
            mode = LOGIN if logged_in or block > 0 else FIRST_LOGIN
            logged_in.append(device)
        else:
            mode = LOGGED_IN
        sessions.append(Session(start, index, seq if block == 0 else seq + 1, device, mode))
    return sessions


def build_visitors(config: GenerationConfig, population: Population) -> list[Visitor]:
    """Every web visitor with devices and account; the same whatever the number of days."""
    rng = derive_rng(config.seed, "web", "plan")
    visitors: list[Visitor] = []
    visitor_of: dict[int, Visitor] = {}
    user_number = 4_000_000 + rng.randrange(100_000)
    for person in population.people:
        if person.in_web:
            visitor = _visitor(person, user_number, rng)
            user_number += rng.randint(1, 13)
            visitors.append(visitor)
            visitor_of[person.index] = visitor
    for first, second in population.households:
        if first in visitor_of and second in visitor_of and rng.random() < SHARED_COMPUTER_RATE:
            user_number = _share_family_computer(visitor_of[first], visitor_of[second], user_number, rng)
    return visitors


def plan_block(config: GenerationConfig, visitors: list[Visitor], block: int) -> WebPlan:
    """Every session of ``block`` (window days ``block * BLOCK_DAYS`` on), bucketed by UTC
    day of the session start, from the block's own random stream."""
    rng = derive_rng(config.seed, "web", "plan", "block", block)
    by_day: list[list[Session]] = [[] for _ in range(BLOCK_DAYS)]
    block_start = config.start_ms + block * BLOCK_DAYS * DAY_MS
    for index, visitor in enumerate(visitors):
        for session in _schedule(visitor, index, config, block, rng):
            by_day[(session.start_ms - block_start) // DAY_MS].append(session)
    for sessions in by_day:
        sessions.sort()
    return WebPlan(visitors, by_day, block * BLOCK_DAYS)
