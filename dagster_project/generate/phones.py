"""Telephone numbers: minting them per country and writing them the many ways people do.

A number is kept canonically as E.164 (``+447700900123``); every record renders it in a
style (``07700 900123``, ``+44 (0)7700 900123``, ``0044 7700 900123``, ``(415) 555-0134``
...), so resolution has to normalise before it can match.
"""

from __future__ import annotations

import random

from .reference import COUNTRY_CALLING_CODE, City

#: every style a number can be written in (all of them name the same number)
STYLES: tuple[str, ...] = (
    "e164",  # +447700900123
    "international",  # +44 7700 900123
    "international_00",  # 0044 7700 900123
    "international_trunk",  # +44 (0)7700 900123 (US: +1 415-555-0134)
    "national",  # 07700 900123, (415) 555-0134, 06 12 34 56 78
    "national_dashed",  # 07700-900-123, 415-555-0134
    "national_alt",  # 06.12.34.56.78, 415.555.0134, (0151) 23456789
    "national_compact",  # 07700900123
)

_DE_MOBILE_PREFIXES = ("151", "152", "157", "159", "160", "162", "170", "171", "172", "173",
                       "174", "175", "176", "177", "178", "179")


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10 ** n):0{n}d}"


def mint_mobile(rng: random.Random, city: City) -> str:
    """A personal mobile number in E.164 for someone living in ``city``."""
    country = city.country
    if country == "GB":
        return f"+447{rng.randint(1, 9)}{_digits(rng, 8)}"
    if country == "US":
        return f"+1{rng.choice(city.area_codes)}{rng.randint(2, 9)}{_digits(rng, 6)}"
    if country == "DE":
        prefix = rng.choice(_DE_MOBILE_PREFIXES)
        return f"+49{prefix}{_digits(rng, 8 if prefix.startswith('15') else 7)}"
    return f"+33{rng.choice('67')}{_digits(rng, 8)}"


def mint_landline(rng: random.Random, city: City) -> str:
    """A fixed-line number in E.164 in ``city``'s area code (households share one)."""
    area = rng.choice(city.area_codes)
    cc = COUNTRY_CALLING_CODE[city.country]
    if city.country == "US":
        return f"+1{area}{rng.randint(2, 9)}{_digits(rng, 6)}"
    if city.country == "GB":
        return f"+44{area}{rng.randint(2, 8)}{_digits(rng, 9 - len(area))}"
    if city.country == "DE":
        return f"+49{area}{rng.randint(2, 9)}{_digits(rng, 9 - len(area))}"
    return f"+{cc}{area}{_digits(rng, 8)}"


def _groups(country: str, nsn: str) -> list[str]:
    """The national significant number split the way it is usually written."""
    if country == "GB":
        sizes = (4, 6) if nsn[0] == "7" else (2, 4, 4) if nsn[:2] in ("20", "29") else (3, 3, 4)
    elif country == "US":
        sizes = (3, 3, 4)
    elif country == "DE":
        head = 3 if nsn[0] == "1" or nsn[:2] not in ("30", "40", "69", "89") else 2
        sizes = (head, len(nsn) - head)
    else:
        sizes = (1, 2, 2, 2, 2)
    out, i = [], 0
    for size in sizes:
        out.append(nsn[i : i + size])
        i += size
    return out


def format_phone(e164: str, country: str, style: str) -> str:
    """``e164`` (a number of ``country``) written in ``style``, one of ``STYLES``."""
    cc = COUNTRY_CALLING_CODE[country]
    nsn = e164[1 + len(cc) :]
    groups = _groups(country, nsn)
    trunk = "" if country == "US" else "0"
    if style == "e164":
        return e164
    if style == "international":
        return f"+{cc} " + " ".join(groups)
    if style == "international_00":
        return f"00{cc} " + " ".join(groups)
    if style == "international_trunk":
        if country == "US":
            return f"+1 {groups[0]}-{groups[1]}-{groups[2]}"
        return f"+{cc} (0)" + " ".join(groups)
    if style == "national":
        if country == "US":
            return f"({groups[0]}) {groups[1]}-{groups[2]}"
        return trunk + " ".join(groups)
    if style == "national_dashed":
        return trunk + "-".join(groups)
    if style == "national_alt":
        if country in ("US", "FR"):
            return trunk + ".".join(groups)
        return f"({trunk}{groups[0]}) " + "".join(groups[1:])
    if style == "national_compact":
        return trunk + nsn
    raise ValueError(f"unknown phone style {style!r}")
