"""Identifiers and URLs shaped like Zoom's.

Meeting and webinar ids are 10-11 digit numbers; UUIDs are base64 of 16
bytes (24 characters ending in ``==``, and now and then starting with ``/``
or holding ``//``, which is why Zoom clients double-encode them); user,
registrant and most other ids are 22-character base64url strings.
"""

from __future__ import annotations

import base64
import random
import string
from datetime import datetime, timedelta, timezone

_ALNUM = string.ascii_letters + string.digits
_rng = random.SystemRandom()


def meeting_number(rng: random.Random = _rng) -> int:
    return rng.randint(81_000_000_000, 99_999_999_999)


def meeting_uuid(rng: random.Random = _rng) -> str:
    return base64.b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode()


def short_id(rng: random.Random = _rng) -> str:
    """A 22-character id like Zoom's user and registrant ids."""
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode().rstrip("=")


def file_id(rng: random.Random = _rng) -> str:
    """A recording file id (a hyphenated UUID, as Zoom uses)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    """``n`` characters of ``alphabet``: the same draws as ``rng.choice`` per
    character (rejection sampling on ``getrandbits``), so seeded ids do not
    change, at a third of the cost (a sandbox reset makes thousands)."""
    size = len(alphabet)
    k = size.bit_length()
    bits = rng.getrandbits
    out: list[str] = []
    while len(out) < n:
        r = bits(k)
        if r < size:
            out.append(alphabet[r])
    return "".join(out)


def passcode(rng: random.Random = _rng, n: int = 6) -> str:
    return _pick(rng, _ALNUM, n)


def digits(rng: random.Random = _rng, n: int = 6) -> str:
    return _pick(rng, string.digits, n)


def token(rng: random.Random = _rng, n: int = 32) -> str:
    return _pick(rng, _ALNUM, n)


def join_url(number: int, pwd: str | None, rng: random.Random = _rng) -> str:
    url = f"https://us05web.zoom.us/j/{number}"
    return f"{url}?pwd={token(rng, 32)}.1" if pwd else url


def start_url(number: int, rng: random.Random = _rng) -> str:
    return f"https://us05web.zoom.us/s/{number}?zak=eyJ0eXAiOiJKV1QiLCJzdiI6IjAwMDAwMSIsInptX3NrbSI6InptX28ybSIsImFsZyI6IkhTMjU2In0.{token(rng, 120)}"


def registrant_join_url(number: int, rng: random.Random = _rng) -> str:
    return f"https://us05web.zoom.us/w/{number}?tk={token(rng, 43)}.DQcAAAAA{token(rng, 40)}"


def registration_url(number: int, rng: random.Random = _rng) -> str:
    return f"https://us05web.zoom.us/meeting/register/{token(rng, 22)}"


def iso(dt: datetime) -> str:
    """Zoom's UTC timestamp form: 2024-05-01T17:00:00Z."""
    return dt.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime | None:
    """Parse the date-times agents send: with Z, an offset, or none (UTC)."""
    if not isinstance(text, str) or not text:
        return None
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def occurrence_id(dt: datetime) -> str:
    return str(int(dt.timestamp() * 1000))


def round_up(dt: datetime, minutes: int = 30) -> datetime:
    dt = dt.replace(second=0, microsecond=0)
    extra = (-dt.minute) % minutes
    return dt + timedelta(minutes=extra)
