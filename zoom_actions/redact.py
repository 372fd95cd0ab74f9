"""Keeping secrets out of envelopes, log records, exceptions and reprs.

Every credential the runtime holds is wrapped in :class:`Secret`, whose
``repr``/``str`` never show the value. Every value that is, or once was, a
credential (configured keys, fetched access tokens, rotated refresh tokens)
is also registered here, and :func:`scrub` replaces any of them in text that
leaves the runtime: error messages, log records, exception text.
"""

from __future__ import annotations

import logging
import threading

MASK = "***"
_MIN_LEN = 6          # shorter values would mask ordinary words
_MAX_KNOWN = 4096     # tokens rotate hourly; keep the newest few thousand

_known: dict[str, None] = {}
_lock = threading.Lock()


class Secret:
    """A credential. ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        self._value = str(value)
        remember(self._value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # pickling would write the value out
        raise TypeError("a Secret cannot be pickled")


def remember(value: str | None) -> None:
    """Register a value that must never appear in output."""
    if not value or len(value) < _MIN_LEN:
        return
    with _lock:
        if value in _known:
            return
        _known[value] = None
        if len(_known) > _MAX_KNOWN:
            del _known[next(iter(_known))]


def scrub(text: object) -> str:
    """``text`` as a string with every known secret replaced by ``***``."""
    s = text if isinstance(text, str) else str(text)
    if not _known:
        return s
    with _lock:
        known = list(_known)
    for value in known:
        if value in s:
            s = s.replace(value, MASK)
    return s


def scrub_data(obj):
    """``obj`` (parsed JSON) with every known secret masked in its strings."""
    if not _known:
        return obj
    if isinstance(obj, str):
        return scrub(obj)
    if isinstance(obj, dict):
        return {scrub(k) if isinstance(k, str) else k: scrub_data(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub_data(v) for v in obj]
    return obj


class ScrubFilter(logging.Filter):
    """Log filter that scrubs secrets from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging
            return True
        clean = scrub(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def check_credential(value: object, what: str) -> str:
    """A credential as given, minus surrounding whitespace (a common
    env-file artifact); refuses control characters, which would otherwise
    end up quoted inside HTTP library errors."""
    text = str(value.reveal() if isinstance(value, Secret) else value).strip()
    if not text:
        raise ValueError(f"{what} is empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise ValueError(f"{what} contains control characters (a stray newline or tab?)")
    return text


def install_log_filter(logger: logging.Logger) -> None:
    if not any(isinstance(f, ScrubFilter) for f in logger.filters):
        logger.addFilter(ScrubFilter())
