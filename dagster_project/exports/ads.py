"""Normalise and hash identifiers the way Google Customer Match and Meta Custom Audiences expect.

Ad platforms match people by comparing *their* SHA-256 of an email or phone with *ours*, so a
single stray space, capital letter or '+' means no match, silently. Each rule therefore
exists twice:

* as DuckDB SQL text (``*_sql`` functions) that the exports run set-based inside the
  warehouse, and
* as a plain Python reference (the other functions) that the tests compare the SQL with on
  fixed inputs whose digests were computed independently.

Both are built from the same constants (:data:`WHITESPACE`, :data:`GMAIL_DOMAINS`), so they
cannot drift apart in what they strip.

Rules, as documented by the platforms:

Google Customer Match (email)
    Trim leading/trailing whitespace, lowercase, and for ``gmail.com`` / ``googlemail.com``
    remove every period before the ``@``. Google's current Customer Match page says removing
    the periods is *not required* ("they'll still be accepted"); the Campaign Manager 360
    enhanced-conversions guide and Google's own ``normalize_and_hash_email_address`` sample
    remove them, so we do too (it is accepted either way and it is what Google hashes).
    Google's docs say nothing about a ``+suffix`` and Google's sample keeps it, so we keep it:
    ``john+news@gmail.com`` stays ``john+news@gmail.com`` (removing it is a rule of other
    platforms, e.g. TikTok, UID2).
    - https://developers.google.com/google-ads/api/docs/remarketing/audience-types/customer-match
    - https://developers.google.com/doubleclick-advertisers/guides/conversions_ec
    - https://developers.google.com/google-ads/api/docs/conversions/upload-online
Google Customer Match (phone)
    E.164, i.e. ``+`` then country code and subscriber number, up to 15 digits
    (``+14155552671``), then SHA-256.
    - https://groups.google.com/g/adwords-api/c/GLqSCji7Hx0 (Google Ads API team: "convert each
      phone number to E164 format before hashing ... starting with a + sign")
    - https://developers.google.com/display-video/api/guides/tasks/upload-customer-match-audience/prepare-data
Meta Custom Audiences (email)
    Trim leading/trailing whitespace and lowercase. No period removal.
    - https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences
      ("Hashing and Normalizing Data")
Meta Custom Audiences (phone)
    Digits only: remove symbols (including '+'), letters and any leading zeros; the country
    code must be included (``447123456`` not ``+447123456`` -- a leading '+' gets no matches).
    - https://help.salesforce.com/s/articleView?id=000391108&type=1
    - https://www.facebook.com/business/help/2082575038703844 (country code required)

All digests are SHA-256 of the UTF-8 bytes, as 64 lowercase hex characters (DuckDB's
``sha256()`` and Python's ``hexdigest()`` both produce that). A value that normalises to the
empty string becomes NULL rather than the hash of '' -- such a hash would match nobody and
only inflate the upload.

Phones: the warehouse stores E.164 strings such as ``+447700900123``. The phone rules below
keep the digits, drop leading zeros (so an international ``00`` prefix also works) and assume
the country code is present. A national-format number such as ``07700 900123`` cannot be
fixed without knowing the country: it would become ``+7700900123`` and simply never match.
"""

from __future__ import annotations

import hashlib
import re

#: Characters trimmed from both ends of an email: ASCII whitespace plus the no-break space,
#: which copy-pasted form input often carries. (DuckDB's one-argument ``trim`` strips only
#: spaces, hence the explicit set.)
WHITESPACE = " \t\n\v\f\r\u00a0"
#: Domains whose local part Google matches without periods.
GMAIL_DOMAINS = ("gmail.com", "googlemail.com")

_WHITESPACE_SQL = " || ".join(f"chr({ord(ch)})" for ch in WHITESPACE)
_GMAIL_PATTERN = r"(?s)^(.*)@(?:" + "|".join(re.escape(d) for d in GMAIL_DOMAINS) + r")$"


# --------------------------------------------------------------------------- Python reference


def sha256_hex(value: str | None) -> str | None:
    """SHA-256 of the UTF-8 bytes as lowercase hex; None stays None (nothing to match on)."""
    if value is None:
        return None
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _base_email(value: str | None) -> str | None:
    if value is None:
        return None
    email = value.strip(WHITESPACE).lower()
    return email or None


def normalize_google_email(value: str | None) -> str | None:
    """Trim, lowercase, and drop periods from the local part of gmail.com/googlemail.com addresses."""
    email = _base_email(value)
    if email is None:
        return None
    local, at, domain = email.rpartition("@")
    if at and domain in GMAIL_DOMAINS:
        return local.replace(".", "") + "@" + domain
    return email


def normalize_meta_email(value: str | None) -> str | None:
    """Trim and lowercase; Meta does not remove periods."""
    return _base_email(value)


def _phone_digits(value: str | None) -> str | None:
    if value is None:
        return None
    digits = re.sub(r"[^0-9]", "", value).lstrip("0")
    return digits or None


def normalize_google_phone(value: str | None) -> str | None:
    """E.164: '+' followed by country code and number, e.g. '+447700900123'."""
    digits = _phone_digits(value)
    return None if digits is None else "+" + digits


def normalize_meta_phone(value: str | None) -> str | None:
    """Digits only, country code included, no '+' and no leading zeros, e.g. '447700900123'."""
    return _phone_digits(value)


def hash_google_email(value: str | None) -> str | None:
    """SHA-256 hex of :func:`normalize_google_email`."""
    return sha256_hex(normalize_google_email(value))


def hash_meta_email(value: str | None) -> str | None:
    """SHA-256 hex of :func:`normalize_meta_email`."""
    return sha256_hex(normalize_meta_email(value))


def hash_google_phone(value: str | None) -> str | None:
    """SHA-256 hex of :func:`normalize_google_phone`."""
    return sha256_hex(normalize_google_phone(value))


def hash_meta_phone(value: str | None) -> str | None:
    """SHA-256 hex of :func:`normalize_meta_phone`."""
    return sha256_hex(normalize_meta_phone(value))


# --------------------------------------------------------------------------- DuckDB SQL
#
# Each function takes a SQL expression (typically a quoted column name, see quote_ident) and
# returns a SQL expression. The argument is pasted in verbatim: pass trusted text only.


def quote_ident(name: str) -> str:
    """A DuckDB identifier in double quotes, so column names with capitals or spaces work."""
    return '"' + name.replace('"', '""') + '"'


def _base_email_sql(expr: str) -> str:
    return f"nullif(lower(trim(({expr}), {_WHITESPACE_SQL})), '')"


def normalize_google_email_sql(expr: str) -> str:
    """SQL for :func:`normalize_google_email` (the local part is everything before the last '@')."""
    e = _base_email_sql(expr)
    pattern = _GMAIL_PATTERN.replace("'", "''")
    return (
        f"(CASE WHEN regexp_matches({e}, '{pattern}') "
        f"THEN replace(regexp_extract({e}, '(?s)^(.*)@', 1), '.', '') || regexp_extract({e}, '@[^@]*$') "
        f"ELSE {e} END)"
    )


def normalize_meta_email_sql(expr: str) -> str:
    """SQL for :func:`normalize_meta_email`."""
    return _base_email_sql(expr)


def _phone_digits_sql(expr: str) -> str:
    return f"nullif(ltrim(regexp_replace(({expr}), '[^0-9]', '', 'g'), '0'), '')"


def normalize_google_phone_sql(expr: str) -> str:
    """SQL for :func:`normalize_google_phone` (NULL stays NULL: '+' || NULL is NULL)."""
    return f"('+' || {_phone_digits_sql(expr)})"


def normalize_meta_phone_sql(expr: str) -> str:
    """SQL for :func:`normalize_meta_phone`."""
    return _phone_digits_sql(expr)


def hash_google_email_sql(expr: str) -> str:
    """SQL: lowercase-hex SHA-256 of the Google-normalised email, NULL if there is none."""
    return f"sha256({normalize_google_email_sql(expr)})"


def hash_meta_email_sql(expr: str) -> str:
    """SQL: lowercase-hex SHA-256 of the Meta-normalised email, NULL if there is none."""
    return f"sha256({normalize_meta_email_sql(expr)})"


def hash_google_phone_sql(expr: str) -> str:
    """SQL: lowercase-hex SHA-256 of the E.164 phone, NULL if there is none."""
    return f"sha256({normalize_google_phone_sql(expr)})"


def hash_meta_phone_sql(expr: str) -> str:
    """SQL: lowercase-hex SHA-256 of the digits-only phone, NULL if there is none."""
    return f"sha256({normalize_meta_phone_sql(expr)})"


def audience_query(platform: str, source: str, key: str, email: str | None, phone: str | None) -> str:
    """A SELECT giving one row per member with the platform's hashed upload columns.

    Column names follow each platform's customer-file headers (Google: ``Email``/``Phone``,
    Meta: ``email``/``phone``) so the CSV can be uploaded as is; ``key`` is kept (first column)
    for deltas. ``source`` is a relation name or a parenthesised subquery; ``key``, ``email``
    and ``phone`` are column names. Rows with neither identifier are dropped: they cannot match.
    """
    if platform == "google":
        hash_email, hash_phone, email_col, phone_col = hash_google_email_sql, hash_google_phone_sql, "Email", "Phone"
    elif platform == "meta":
        hash_email, hash_phone, email_col, phone_col = hash_meta_email_sql, hash_meta_phone_sql, "email", "phone"
    else:
        raise ValueError(f"unknown platform {platform!r}: expected 'google' or 'meta'")
    if email is None and phone is None:
        raise ValueError("at least one of email and phone is needed")
    columns = [quote_ident(key)]
    present = []
    if email is not None:
        columns.append(f"{hash_email(quote_ident(email))} AS {quote_ident(email_col)}")
        present.append(quote_ident(email_col))
    if phone is not None:
        columns.append(f"{hash_phone(quote_ident(phone))} AS {quote_ident(phone_col)}")
        present.append(quote_ident(phone_col))
    inner = f"SELECT {', '.join(columns)} FROM {source}"
    return f"SELECT * FROM ({inner}) WHERE coalesce({', '.join(present)}) IS NOT NULL"
