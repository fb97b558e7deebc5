"""Time arithmetic in integer milliseconds since the epoch, and ISO-8601 text.

Generated records need local times with the right UTC offset for four countries, in many
spellings (``Z``, ``+01:00``, no offset). ``datetime`` with ``zoneinfo`` would do it, but
depends on the machine's time-zone database (output must not) and is slow at a million
events, so the few daylight-saving rules needed are written out here.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
_EPOCH = date(1970, 1, 1)

#: zone -> (standard offset in minutes, daylight-saving rule)
ZONES: dict[str, tuple[int, str]] = {
    "Europe/London": (0, "EU"),
    "Europe/Berlin": (60, "EU"),
    "Europe/Paris": (60, "EU"),
    "America/New_York": (-300, "US"),
    "America/Chicago": (-360, "US"),
    "America/Los_Angeles": (-480, "US"),
}


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - _EPOCH).days


def date_of_day(day: int) -> date:
    """The date ``day`` days after 1970-01-01."""
    return _EPOCH + timedelta(days=day)


@lru_cache(maxsize=None)
def _date_text(day: int) -> str:
    return date_of_day(day).isoformat()


def _sunday_ms(year: int, month: int, nth: int) -> int:
    """Midnight UTC of the ``nth`` Sunday of a month (``nth=-1``: the last one)."""
    if nth > 0:
        first = date(year, month, 1)
        d = first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))
    else:
        nxt = date(year + month // 12, month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        d = last - timedelta(days=(last.weekday() - 6) % 7)
    return day_number(d) * DAY_MS


@lru_cache(maxsize=None)
def _dst_window(zone: str, year: int) -> tuple[int, int]:
    """UTC instants at which daylight-saving time starts and ends in ``zone`` in ``year``."""
    std, rule = ZONES[zone]
    if rule == "EU":  # last Sunday of March / October, 01:00 UTC
        return _sunday_ms(year, 3, -1) + HOUR_MS, _sunday_ms(year, 10, -1) + HOUR_MS
    # US: second Sunday of March 02:00 standard time, first Sunday of November 02:00 daylight
    return (
        _sunday_ms(year, 3, 2) + 2 * HOUR_MS - std * MINUTE_MS,
        _sunday_ms(year, 11, 1) + 2 * HOUR_MS - (std + 60) * MINUTE_MS,
    )


@lru_cache(maxsize=None)
def _year_of_day(day: int) -> int:
    return date_of_day(day).year


def utc_offset_minutes(zone: str, ms: int) -> int:
    """The UTC offset of ``zone`` at the instant ``ms``."""
    start, end = _dst_window(zone, _year_of_day(ms // DAY_MS))
    std = ZONES[zone][0]
    return std + 60 if start <= ms < end else std


def local_to_utc(zone: str, local_ms: int) -> int:
    """The instant whose wall-clock time in ``zone`` is ``local_ms`` (exact outside the
    hour of a daylight-saving switch, which is all that shop and browsing hours need)."""
    return local_ms - utc_offset_minutes(zone, local_ms) * MINUTE_MS


def offset_text(minutes: int, zulu: bool = False) -> str:
    """``+01:00`` / ``-05:00``; ``Z`` for UTC when ``zulu``."""
    if zulu and minutes == 0:
        return "Z"
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}"


#: "YYYY-MM-DDTHH:MM" by minute number; iso() is called millions of times, mostly for
#: minutes it has already seen. Emptied when large (CRM dates span years).
_MINUTE_TEXT: dict[int, str] = {}
_MINUTE_CACHE_LIMIT = 500_000
_SUFFIX: dict[tuple[int, bool], str] = {}


def iso(ms: int, offset_minutes: int = 0, *, zulu: bool = True, millis: bool = True, suffix: bool = True) -> str:
    """ISO-8601 text of instant ``ms`` as wall-clock time at ``offset_minutes``.

    ``zulu`` writes UTC as ``Z`` rather than ``+00:00``; ``suffix=False`` leaves the offset
    out (the contract reads that as UTC, so only use it with offset 0).
    """
    minute, rem = divmod(ms + offset_minutes * MINUTE_MS, MINUTE_MS)
    head = _MINUTE_TEXT.get(minute)
    if head is None:
        if len(_MINUTE_TEXT) >= _MINUTE_CACHE_LIMIT:
            _MINUTE_TEXT.clear()
        day, in_day = divmod(minute, 1440)
        head = _MINUTE_TEXT[minute] = f"{_date_text(day)}T{in_day // 60:02d}:{in_day % 60:02d}"
    text = f"{head}:{rem // 1000:02d}.{rem % 1000:03d}" if millis else f"{head}:{rem // 1000:02d}"
    if not suffix:
        return text
    key = (offset_minutes, zulu)
    tail = _SUFFIX.get(key)
    if tail is None:
        tail = _SUFFIX[key] = offset_text(offset_minutes, zulu)
    return text + tail


def zoned_iso(zone: str, ms: int, *, zulu: bool = False, millis: bool = True) -> str:
    """ISO-8601 text of ``ms`` as local time in ``zone`` with its offset."""
    return iso(ms, utc_offset_minutes(zone, ms), zulu=zulu, millis=millis)


def date_text(day: int) -> str:
    """``YYYY-MM-DD`` of a day number."""
    return _date_text(day)
