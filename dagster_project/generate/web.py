"""Web and app events (Segment spec), one JSON-lines file per day.

A session is a handful of page views (``screen`` views in the apps) with product views,
basket adds and sometimes an order. In the session where a visitor logs in on a device
the first events are anonymous, then come ``alias`` (sometimes, on the first login),
``identify`` with traits and ``group`` (rarely, on the first login), and the rest carry
the ``userId``. Consent: most visitors answer the cookie banner on their first visit
(Segment's own ``Segment Consent Preference Updated`` call, answers in
``context.consent.categoryPreferences``) and a few logged-in sessions end on the
preferences page (a ``Consent Updated`` track call with ``email``/``sms``/``ads``
booleans); see docs/data_contracts.md. Consent calls draw from their own random stream
(``"web", "consent", day``), so adding them left every other line as it was.

Delivery is at-least-once: ~1% of events are written twice with the same
``messageId``; most copies land in the same file, some at the top of the next day's file
(a retry flushed after midnight, with a later ``receivedAt``). The copies carried out of
the last day written are dropped; appending the next day puts them at the top of its file.

A day is rendered from the plan and its own random stream alone, so days can be rendered
in any order or in parallel (``render_days``) and give the same bytes. Apart from the
re-deliveries carried into the next file, a day's lines are sorted by ``receivedAt``, as an
export of the day's collection is. One day is held in memory at a time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from json.encoder import JSONEncoder, c_make_encoder, encode_basestring
from pathlib import Path
from typing import Any

from .clock import DAY_MS, date_text, iso
from .config import GenerationConfig
from .malformed import Malformer
from .output import SourceCounts, landing_file
from .population import mint_ip
from .randomness import Weighted, between, derive_rng, geometric, uuid4
from .reference import (
    APP_DEVICES,
    CAMPAIGNS,
    CURRENCY,
    EXTERNAL_REFERRERS,
    PAGE_TITLES,
    PRODUCT_CATEGORIES,
    PRODUCTS,
    SITE,
    Product,
)
from .segment import (
    SERVER_LIBRARY,
    call,
    order_properties,
    product_properties,
    stamp_from_device,
    stamp_from_server,
)
from .truth import TruthWriter, truth_part
from .web_plan import ANONYMOUS, FIRST_LOGIN, LOGGED_IN, TRAIT_NOISE, Device, Session, Visitor, WebPlan

REDELIVERY_RATE = 0.01
REDELIVERY_NEXT_DAY = 0.3  # of re-deliveries: landed in the next day's file
REDELIVERY_SAME_RECEIVED_AT = 0.3  # of same-day re-deliveries: byte-identical line
REDELIVERY_NEXT_DAY_DELAY_MS = 120_000  # carried copies arrive just after midnight
#: pages (screens) per session: 1 + a geometric tail
PAGE_STOP, MAX_EXTRA_PAGES = 0.45, 7
PAGE_KINDS = Weighted([("home", 2), ("category", 2), ("product", 4), ("search", 1), ("account", 0.5)])
SCREEN_NAMES = {"home": "Home", "category": "Category", "product": "Product Detail", "search": "Search",
                "account": "Account"}
VIEW_RATE, ADD_RATE, ORDER_RATE = 0.75, 0.3, 0.35
CAMPAIGN_RATE = 0.2
REIDENTIFY_RATE = 0.1  # logged-in sessions that start with a fresh identify
SERVER_SIDE_ORDER_RATE = 0.5  # logged-in orders sent by the backend: userId, no anonymousId
GUEST_EMAIL_RATE = 0.6  # anonymous orders carrying the checkout e-mail in context.traits
HOME_IP_RATE = {"desktop": 0.8, "mobile_web": 0.3, "ios": 0.3, "android": 0.3}
SEARCH_TERMS = ("boots", "rain jacket", "gift", "sale", "tote bag", "wool scarf")
#: consent (docs/data_contracts.md, "Consent"): visitors who answer the cookie banner on their
#: first visit, and how often they accept each cookie category
BANNER_ANSWER_RATE = 0.7
BANNER_ACCEPTS = {"Advertising": 0.55, "Analytics": 0.7}
BANNER_EVENT = "Segment Consent Preference Updated"
#: logged-in sessions that end on the preferences page, and what is ticked there
PREFERENCES_RATE = 0.08
PREFERENCES_OPT_IN = {"email": 0.5, "sms": 0.25, "ads": 0.45}
PREFERENCES_EVENT = "Consent Updated"

# ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` without building an encoder
# per call and without the cycle check (events are trees): a fifth of the web time otherwise
_iterencode = c_make_encoder(None, JSONEncoder().default, encode_basestring, None, ":", ",", False, False, True)


def _encode(event: dict[str, Any]) -> str:
    return "".join(_iterencode(event, 0))


@dataclass
class DayLines:
    """One rendered day: its own lines (sorted by receivedAt) and the re-deliveries that
    belong at the top of the next day's file."""

    lines: list[str] = field(default_factory=list)
    carry: list[str] = field(default_factory=list)
    malformed: int = 0


class _Day:
    """Renders one day's sessions into lines, truth rows and re-deliveries."""

    def __init__(self, day: int, config: GenerationConfig, truth: TruthWriter) -> None:
        self.rng = derive_rng(config.seed, "web", "day", day)
        # consent calls draw only from here: the rest of the day is the same with or without them
        self.consent_rng = derive_rng(config.seed, "web", "consent", day)
        self.malformer = Malformer(config.seed, "web", config.malformed_rate, day)
        self.compact_day = date_text(config.first_day + day).replace("-", "")
        self.day_end_ms = config.start_ms + (day + 1) * DAY_MS
        self.truth = truth
        self._own: list[tuple[int, int, str]] = []  # (receivedAt, arrival, line)
        self._carry: list[str] = []
        self.orders = 0

    def result(self) -> DayLines:
        self._own.sort()
        return DayLines([line for _, _, line in self._own], self._carry, self.malformer.count)

    # -- output -------------------------------------------------------------------------
    def _line(self, received: int, line: str) -> None:
        self._own.append((received, len(self._own), line))

    def emit(self, event: dict[str, Any], received: int, person_id: str) -> None:
        """Land ``event`` (once, or twice when re-delivered) and record its truth row."""
        rng = self.rng
        line = _encode(event)
        self._line(received, line)
        self.truth.add("web", event["messageId"], person_id)
        if rng.random() < REDELIVERY_RATE:
            if rng.random() < REDELIVERY_NEXT_DAY:  # dropped after the last day written
                again = max(received, self.day_end_ms) + rng.randrange(REDELIVERY_NEXT_DAY_DELAY_MS)
                self._carry.append(_encode(dict(event, receivedAt=iso(again))))
            elif rng.random() < REDELIVERY_SAME_RECEIVED_AT:
                self._line(received, line)
            else:
                again = received + rng.randrange(1000, 600_000)
                self._line(again, _encode(dict(event, receivedAt=iso(again))))
        if self.malformer.due():
            self._line(received, self.malformer.json_line(event, uuid4(self.malformer.rng)))

    # -- a session ----------------------------------------------------------------------
    def session(self, visitor: Visitor, session: Session) -> None:
        """All events of one session, in order."""
        rng = self.rng
        device = visitor.devices[session.device]
        person = visitor.person
        currency = CURRENCY[person.country]
        is_app = device.kind in APP_DEVICES
        ip = device.home_ip if rng.random() < HOME_IP_RATE[device.kind] else mint_ip(rng)
        base: dict[str, Any] = {**device.context, "ip": ip}
        user_id = visitor.user_id if session.mode == LOGGED_IN else ""
        pages = 1 + geometric(rng, PAGE_STOP, MAX_EXTRA_PAGES)
        login_after = -1 if session.mode in (ANONYMOUS, LOGGED_IN) else rng.randrange(pages)
        campaign = rng.choice(CAMPAIGNS) if not is_app and rng.random() < CAMPAIGN_RATE else None
        referrer = rng.choice(EXTERNAL_REFERRERS)
        t = session.start_ms
        basket: list[tuple[Product, int]] = []
        if user_id and rng.random() < REIDENTIFY_RATE:
            t = self._identify(visitor, device, base, t)
        if session.seq == 0:
            self._cookie_banner(visitor, device, base, user_id, session.start_ms)

        for page in range(pages):
            kind = PAGE_KINDS.pick(rng)
            product = rng.choice(PRODUCTS) if kind == "product" else None
            context = self._context(base, visitor, device, user_id)
            if is_app:
                fields: dict[str, Any] = {"name": SCREEN_NAMES[kind],
                                          "properties": {"product_id": product.product_id} if product else {}}
                event = call("screen", uuid4(rng), device.anonymous_id, user_id, context, fields)
            else:
                url = self._page_context(context, kind, product, referrer, campaign if page == 0 else None)
                referrer = url
                event = call("page", uuid4(rng), device.anonymous_id, user_id, context, {"name": SCREEN_NAMES[kind]})
            self.emit(event, stamp_from_device(event, t, device, rng), person.person_id)
            t += between(rng, 3000, 90_000)
            context.pop("page", None)  # the page view carries it; its tracks only the campaign
            if product and rng.random() < VIEW_RATE:
                t = self._track(visitor, device, context, user_id, t, "Product Viewed",
                                product_properties(product))
                if rng.random() < ADD_RATE:
                    quantity = 1 if rng.random() < 0.8 else between(rng, 2, 4)
                    basket.append((product, quantity))
                    t = self._track(visitor, device, context, user_id, t, "Product Added",
                                    product_properties(product, quantity))
            if page == login_after:
                t = self._log_in(visitor, device, base, t, session.mode == FIRST_LOGIN)
                user_id = visitor.user_id

        if basket and rng.random() < ORDER_RATE:
            self._order(visitor, device, self._context(base, visitor, device, user_id), user_id, t, basket, currency)
        if user_id:
            self._preferences(visitor, device, base, user_id, t)

    # -- consent (own random stream) ----------------------------------------------------
    def _consent_call(self, visitor: Visitor, device: Device, context: dict[str, Any], user_id: str, t: int,
                      fields: dict[str, Any]) -> None:
        """Land one consent call: never re-delivered or malformed, so the day's own stream
        and the malformer are untouched."""
        rng = self.consent_rng
        event = call("track", uuid4(rng), device.anonymous_id, user_id, context, fields)
        received = stamp_from_device(event, t, device, rng)
        self._line(received, _encode(event))
        self.truth.add("web", event["messageId"], visitor.person.person_id)

    def _cookie_banner(self, visitor: Visitor, device: Device, base: dict[str, Any], user_id: str,
                       start: int) -> None:
        """The visitor's first visit: most answer the cookie banner a few seconds in."""
        rng = self.consent_rng
        if rng.random() >= BANNER_ANSWER_RATE:
            return
        preferences = {"Necessary": True, **{name: rng.random() < p for name, p in BANNER_ACCEPTS.items()}}
        context = {**self._context(base, visitor, device, user_id), "consent": {"categoryPreferences": preferences}}
        self._consent_call(visitor, device, context, user_id, start + between(rng, 2000, 20_000),
                           {"event": BANNER_EVENT, "properties": {}})

    def _preferences(self, visitor: Visitor, device: Device, base: dict[str, Any], user_id: str, t: int) -> None:
        """Sometimes a logged-in session ends on the preferences page: all three answers."""
        rng = self.consent_rng
        if rng.random() >= PREFERENCES_RATE:
            return
        properties = {channel: rng.random() < p for channel, p in PREFERENCES_OPT_IN.items()}
        self._consent_call(visitor, device, self._context(base, visitor, device, user_id), user_id,
                           t + between(rng, 5000, 60_000), {"event": PREFERENCES_EVENT, "properties": properties})

    def _context(self, base: dict[str, Any], visitor: Visitor, device: Device, user_id: str) -> dict[str, Any]:
        context = dict(base)
        if user_id and device.traits_in_context:
            context["traits"] = {"email": visitor.context_email}
        return context

    def _page_context(self, context: dict[str, Any], kind: str, product: Product | None, referrer: str,
                      campaign: tuple[str, str, str] | None) -> str:
        """Fill ``context.page`` (and ``context.campaign``); return the page URL."""
        rng = self.rng
        search = ""
        if product is not None:
            path, title = f"/p/{product.slug}", PAGE_TITLES["product"].format(product.name)
        elif kind == "category":
            category = rng.choice(PRODUCT_CATEGORIES)
            path, title = f"/c/{category}", PAGE_TITLES["category"].format(category.title())
        elif kind == "search":
            path, title = "/search", PAGE_TITLES["search"]
            search = "?q=" + rng.choice(SEARCH_TERMS).replace(" ", "+")
        else:
            path, title = ("/" if kind == "home" else "/account"), PAGE_TITLES[kind]
        if campaign:
            name, source, medium = campaign
            search += ("&" if search else "?") + f"utm_source={source}&utm_medium={medium}&utm_campaign={name}"
            context["campaign"] = {"name": name, "source": source, "medium": medium}
        url = SITE + path + search
        page: dict[str, str] = {"path": path}
        if referrer:
            page["referrer"] = referrer
        if search:
            page["search"] = search
        page["title"], page["url"] = title, url
        context["page"] = page
        return url

    def _track(self, visitor: Visitor, device: Device, context: dict[str, Any], user_id: str, t: int,
               name: str, properties: dict[str, Any]) -> int:
        event = call("track", uuid4(self.rng), device.anonymous_id, user_id, context,
                     {"event": name, "properties": properties})
        self.emit(event, stamp_from_device(event, t, device, self.rng), visitor.person.person_id)
        return t + between(self.rng, 1000, 60_000)

    def _identify(self, visitor: Visitor, device: Device, base: dict[str, Any], t: int) -> int:
        rng = self.rng
        person = visitor.person
        traits: dict[str, Any] = {"email": TRAIT_NOISE.email(person.email, rng)}
        if rng.random() < 0.7:
            traits["firstName"] = TRAIT_NOISE.name(person.first_name, rng)
            traits["lastName"] = TRAIT_NOISE.name(person.last_name, rng)
        if rng.random() < 0.3:
            traits["phone"] = TRAIT_NOISE.phone(person.mobile, person.country, rng)
        if rng.random() < 0.2:
            traits["postalCode"] = person.postal_code
        event = call("identify", uuid4(rng), device.anonymous_id, visitor.user_id, dict(base), {"traits": traits})
        self.emit(event, stamp_from_device(event, t, device, rng), person.person_id)
        return t + between(rng, 200, 3000)

    def _log_in(self, visitor: Visitor, device: Device, base: dict[str, Any], t: int, first: bool) -> int:
        """alias (sometimes, on the first login), identify, group (rarely, first login)."""
        rng = self.rng
        person_id = visitor.person.person_id
        if first and visitor.alias:
            event = call("alias", uuid4(rng), device.anonymous_id, visitor.user_id, dict(base),
                         {"previousId": device.anonymous_id})
            self.emit(event, stamp_from_device(event, t, device, rng), person_id)
            t += between(rng, 50, 500)
        t = self._identify(visitor, device, base, t)
        if first and visitor.group:
            group_id, name = visitor.group
            event = call("group", uuid4(rng), device.anonymous_id, visitor.user_id, dict(base),
                         {"groupId": group_id, "traits": {"name": name}})
            self.emit(event, stamp_from_device(event, t, device, rng), person_id)
            t += between(rng, 50, 500)
        return t

    def _order(self, visitor: Visitor, device: Device, context: dict[str, Any], user_id: str, t: int,
               basket: list[tuple[Product, int]], currency: str) -> None:
        rng = self.rng
        self.orders += 1
        properties = order_properties(f"O{self.compact_day}{self.orders:05d}", basket, currency)
        fields = {"event": "Order Completed", "properties": properties}
        person = visitor.person
        if user_id and rng.random() < SERVER_SIDE_ORDER_RATE:
            server_context = {"library": SERVER_LIBRARY, "traits": {"email": person.email}}
            event = call("track", uuid4(rng), "", user_id, server_context, fields)
            self.emit(event, stamp_from_server(event, t, rng), person.person_id)
            return
        if not user_id and rng.random() < GUEST_EMAIL_RATE:
            context["traits"] = {"email": TRAIT_NOISE.email(person.email, rng)}
        event = call("track", uuid4(rng), device.anonymous_id, user_id, context, fields)
        self.emit(event, stamp_from_device(event, t, device, rng), person.person_id)


def render_day(config: GenerationConfig, plan: WebPlan, day: int, truth: TruthWriter) -> DayLines:
    """Every event of ``day`` (its truth rows go to ``truth``)."""
    renderer = _Day(day, config, truth)
    for session in plan.sessions(day):
        renderer.session(plan.visitors[session.visitor], session)
    return renderer.result()


def day_path(config: GenerationConfig, day: int) -> Path:
    """``landing/web/events_<date>.jsonl`` of window day ``day``."""
    return landing_file(config, "web", "events", date_text(config.first_day + day))


def _write_lines(path: Path, lines: list[str], tail: str = "") -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(line + "\n" for line in lines)
        handle.write(tail)


def render_days(config: GenerationConfig, plan: WebPlan, days: range, parts: Path) -> tuple[SourceCounts, list[str]]:
    """Write the files of ``days`` (consecutive, inside ``plan``'s block) and their truth parts.

    The first day's file is written without the re-deliveries carried from the day before
    the range (the caller prepends them with ``prepend_carried``); the carry out of the
    last day is returned.
    """
    counts = SourceCounts()
    carried: list[str] = []
    for day in days:
        with TruthWriter(truth_part(parts, day, "web"), header=False) as truth:
            rendered = render_day(config, plan, day, truth)
        _write_lines(day_path(config, day), carried + rendered.lines)
        counts.files += 1
        counts.rows += len(carried) + len(rendered.lines)
        counts.malformed += rendered.malformed
        counts.record_keys += truth.counts["web"]
        carried = rendered.carry
    return counts, carried


def carry_into(config: GenerationConfig, plan: WebPlan, day: int) -> list[str]:
    """The re-deliveries ``day`` carries into the next day's file, rendering ``day`` in
    memory (its file exists already). Raises ``ValueError`` when the existing file is not
    what these arguments render, i.e. the data set was made with other arguments."""
    with TruthWriter(Path(os.devnull), header=False) as truth:
        rendered = render_day(config, plan, day, truth)
    own = "".join(line + "\n" for line in rendered.lines)
    if not day_path(config, day).read_text(encoding="utf-8").endswith(own):
        raise ValueError(f"{day_path(config, day)} is not what --people/--seed/--start-date/--malformed-rate "
                         "given here generate: append with the arguments the data set was made with")
    return rendered.carry


def prepend_carried(config: GenerationConfig, day: int, carried: list[str]) -> None:
    """Put re-deliveries carried over from ``day - 1`` at the top of ``day``'s file."""
    if carried:
        path = day_path(config, day)
        _write_lines(path, carried, tail=path.read_text(encoding="utf-8"))
