"""The ways real records get an identifier wrong, as small composable functions.

Every source renders a person's true attributes through these functions with its own
``NoiseProfile`` (a till clerk shouts in capitals, a web form keeps what was typed), so the
same person looks slightly different in every record: case and whitespace, typos,
dropped diacritics, phone formats, empty fields and junk placeholders.
"""

from __future__ import annotations

import random
import string
import unicodedata
from dataclasses import dataclass

from .phones import format_phone
from .randomness import Weighted
from .reference import JUNK_EMAILS, JUNK_PHONE

_FOLD_EXTRA = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "ı": "i", "ł": "l", "æ": "ae", "œ": "oe"})
_KEYBOARD_NEIGHBOURS = {
    "a": "sq", "e": "wr", "i": "uo", "o": "ip", "n": "bm", "r": "et", "s": "ad", "t": "ry",
    "l": "k", "m": "n", "c": "xv", "h": "gj", "u": "yi", "d": "sf",
}
_APOSTROPHE_TYPINGS = Weighted([("’", 0.45), ("", 0.3), (" ", 0.2), ('"', 0.05)])
_DOMAIN_TYPOS = {"gmail.com": ("gmial.com", "gmail.co", "gamil.com"), "hotmail.com": ("hotmial.com",),
                 "yahoo.com": ("yaho.com",), "outlook.com": ("outlok.com",)}


def ascii_fold(text: str) -> str:
    """``José Müller`` -> ``Jose Muller``: what a system without Unicode keeps."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def typo(text: str, rng: random.Random) -> str:
    """One slip of the keyboard: transposed, dropped, doubled or neighbouring letter."""
    if len(text) < 3:
        return text + text[-1:]
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    near = _KEYBOARD_NEIGHBOURS.get(text[i].lower())
    if not near:  # no neighbour table for this letter: drop it instead
        return text[:i] + text[i + 1 :]
    return text[:i] + rng.choice(near) + text[i + 1 :]


def case_variant(text: str, rng: random.Random) -> str:
    """UPPER, lower or (caps lock on) iNVERTED case, as different systems store names."""
    r = rng.random()
    if r < 0.5:
        return text.upper()
    if r < 0.85:
        return text.lower()
    return text.swapcase()


def apostrophe_variant(name: str, rng: random.Random) -> str:
    """``O'Brien`` typed as ``O’Brien``, ``OBrien``, ``O Brien`` or (rarely) ``O"Brien``."""
    if "'" not in name:
        return name
    return name.replace("'", _APOSTROPHE_TYPINGS.pick(rng))


def email_case_space(email: str, rng: random.Random) -> str:
    """The same address in other letter case and/or with surrounding whitespace."""
    kind = rng.randrange(5)
    if kind == 0:
        email = email.upper()
    elif kind == 1:
        email = email[:1].upper() + email[1:]
    elif kind == 2:
        local, _, domain = email.partition("@")
        email = local.title() + "@" + domain.capitalize()
    pad = rng.randrange(4)
    if pad == 0 or kind >= 3:
        email = rng.choice((" ", "  ", "")) + email + rng.choice((" ", "", "\t"))
        if email == email.strip():
            email = " " + email
    return email


def email_typo(email: str, rng: random.Random) -> str:
    """A wrong letter in the local part, or a mistyped well-known domain."""
    local, _, domain = email.partition("@")
    if domain in _DOMAIN_TYPOS and rng.random() < 0.3:
        return f"{local}@{rng.choice(_DOMAIN_TYPOS[domain])}"
    return f"{typo(local, rng)}@{domain}"


def fresh_local_part(first: str, last: str, year: int, rng: random.Random) -> str:
    """An e-mail local part built from a name, in one of the patterns people choose."""
    f = "".join(ch for ch in ascii_fold(first).lower() if ch in string.ascii_lowercase + "-")
    la = "".join(ch for ch in ascii_fold(last).lower() if ch in string.ascii_lowercase + "-")
    kind = rng.randrange(8)
    if kind == 0:
        return f"{f}.{la}"
    if kind == 1:
        return f"{f}{la}"
    if kind == 2:
        return f"{f[:1]}.{la}"
    if kind == 3:
        return f"{f}_{la}"
    if kind == 4:
        return f"{f}.{la}{rng.randrange(1, 99)}"
    if kind == 5:
        return f"{la}.{f}"
    if kind == 6:
        return f"{f[:1]}{la}{year % 100:02d}"
    return f"{f}{year}"


@dataclass(frozen=True)
class NoiseProfile:
    """How carelessly one source records identifiers; each rate is a probability."""

    missing: float
    email_case_space: float
    email_typo: float
    junk_email: float
    name_case: float
    name_typo: float
    name_fold: float
    name_apostrophe: float
    junk_phone: float
    phone_styles: Weighted[str]

    def email(self, email: str, rng: random.Random) -> str:
        """The address as this source recorded it ("" when left empty)."""
        r = rng.random()
        if r < self.missing:
            return ""
        if r < self.missing + self.junk_email:
            return rng.choice(JUNK_EMAILS)
        if rng.random() < self.email_typo:
            email = email_typo(email, rng)
        if rng.random() < self.email_case_space:
            email = email_case_space(email, rng)
        return email

    def name(self, name: str, rng: random.Random) -> str:
        """A first or last name as this source recorded it."""
        r = rng.random()
        if r < self.missing:
            return ""
        if r < self.missing + self.name_fold:
            name = ascii_fold(name)
        if "'" in name and rng.random() < self.name_apostrophe:
            name = apostrophe_variant(name, rng)
        if rng.random() < self.name_typo:
            name = typo(name, rng)
        if rng.random() < self.name_case:
            name = case_variant(name, rng)
        return name

    def phone(self, e164: str, country: str, rng: random.Random) -> str:
        """A number as this source recorded it: one of many formats, or junk, or ""."""
        r = rng.random()
        if r < self.missing:
            return ""
        if r < self.missing + self.junk_phone:
            return JUNK_PHONE
        return format_phone(e164, country, self.phone_styles.pick(rng))

    def postal_code(self, postal: str, rng: random.Random) -> str:
        """A postal code as recorded: British ones lose their space or their capitals."""
        r = rng.random()
        if r < self.missing:
            return ""
        if " " in postal and r < self.missing + self.name_case * 3:
            return rng.choice((postal.replace(" ", ""), postal.lower(), f" {postal}"))
        return postal
