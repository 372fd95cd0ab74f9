"""Keeping secrets out of envelopes, log records, exceptions and reprs.

Every credential the runtime holds is wrapped in :class:`Secret`, whose
``repr``/``str`` never show the value. Every value that is, or once was, a
credential (configured keys, fetched access tokens, rotated refresh tokens)
is also registered here, and :func:`scrub` replaces any of them in text that
leaves the runtime: error messages, log records, exception text.

A value of ``_SHORT`` (6) characters or more is masked wherever it occurs. A
shorter one (a test password ``"ab"``, a one-letter client id) is masked only
where it stands as a whole value: neither neighbour is a letter, digit or
underscore (start and end of text, quotes, ``=``, ``&``, whitespace, ``:``,
``/`` and commas all delimit it; so does a ``%XX`` or ``\\n``-style escape
before it). Masking every occurrence would garble all text and the masks
would show where the letters were; ``"ab"`` inside ``"about"`` stays.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
_MAX_ROTATING = 4096   # fetched tokens rotate hourly: keep the newest few thousand
_MAX_TRIE = 512        # longer values are replaced one by one (few, and keep the pattern shallow)
_SHORT = 6             # values shorter than this are masked only as whole values
_WORD = r"\w"          # what a short value's neighbours must not be (Unicode letters, digits, _)

# Configured credentials are pinned: never evicted, whatever their length.
# Values fetched at run time (access tokens, rotated refresh tokens) rotate.
_pinned: dict[str, None] = {}
_rotating: dict[str, None] = {}
_lock = threading.Lock()
_version = 0
_compiled: tuple[int, "re.Pattern | None", tuple[str, ...]] = (-1, None, ())


class Secret:
    """A credential. ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str, *, pinned: bool = False) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        self._value = str(value)
        remember(self._value, pinned=pinned)

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


def remember(value: str | None, *, pinned: bool = False) -> None:
    """Register a value that must never appear in output. A pinned value
    (a configured credential) stays registered for the process's life."""
    global _version
    if not value:
        return
    with _lock:
        if value in _pinned:
            return
        if pinned:
            _rotating.pop(value, None)
            _pinned[value] = None
        elif value in _rotating:
            return
        else:
            _rotating[value] = None
            if len(_rotating) > _MAX_ROTATING:
                del _rotating[next(iter(_rotating))]
        _version += 1


def _whole_value(depth: int) -> str:
    """Accept a short value that ends here (``depth`` characters matched)
    only if it is not part of a longer word: the character before its start
    and the one after its end are not word characters. The check on the
    start is a look-behind from here, so the trie still begins with plain
    literals (which keeps the regex engine's fast first-character scan)."""
    back = "[\\s\\S]{%d}" % depth
    before = (f"(?:(?<!{_WORD}{back})"                    # start of text or a delimiter
              f"|(?<=%[0-9A-Fa-f]{{2}}{back})"           # after a percent-escape (%20ab)
              f"|(?<=\\\\[bfnrt]{back}))")                 # after a backslash escape (\nab)
    return f"{before}(?!{_WORD})"


def _trie_pattern(values: list[str]) -> str:
    """One regex whose alternation is a trie: matching walks each text
    position once down the trie, so the cost is linear in the text, not in
    the number of secrets. A node where a value ends accepts it outright if
    the value is long, or under :func:`_whole_value` if it is short."""
    root: dict = {}
    for v in values:
        node = root
        for ch in v:
            node = node.setdefault(ch, {})
        node[""] = None

    def emit(node: dict, depth: int) -> str:
        branches = [re.escape(ch) + emit(child, depth + 1) for ch, child in node.items() if ch != ""]
        body = "" if not branches else branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" not in node:
            return body
        if depth >= _SHORT:
            # longest match first: the branch is greedy, the end is the fallback
            return f"(?:{body})?" if body else ""
        return f"(?:{body}|{_whole_value(depth)})" if body else _whole_value(depth)
    return emit(root, 0)


def _matcher() -> tuple["re.Pattern | None", tuple[str, ...]]:
    global _compiled
    version, pattern, long_values = _compiled
    if version == _version:
        return pattern, long_values
    with _lock:
        values = list(_pinned) + list(_rotating)
        current = _version
    in_trie = [v for v in values if len(v) <= _MAX_TRIE]
    long_values = tuple(sorted((v for v in values if len(v) > _MAX_TRIE), key=len, reverse=True))
    pattern = re.compile(_trie_pattern(in_trie)) if in_trie else None
    _compiled = (current, pattern, long_values)
    return pattern, long_values


def scrub(text: object) -> str:
    """``text`` as a string with every known secret replaced by ``***``."""
    s = text if isinstance(text, str) else str(text)
    if not _version or not s:
        return s
    pattern, long_values = _matcher()
    for value in long_values:
        if value in s:
            s = s.replace(value, MASK)
    return pattern.sub(MASK, s) if pattern is not None else s


def scrub_data(obj):
    """``obj`` (parsed JSON) with every known secret masked in its strings."""
    if not _version:
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


# The HTTP stack's own loggers: httpcore logs request headers (the bearer
# token among them) at DEBUG. A logger's filters do not see its children's
# records, so every logger of the stack gets the filter.
CLIENT_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "hpack", "h11", "h2")
_CLIENT_CHILDREN = ("connection", "http11", "http2", "proxy", "socks", "connection_pool")


def filter_client_loggers() -> None:
    names = {f"{base}.{child}" for base in CLIENT_LOGGERS for child in _CLIENT_CHILDREN} | set(CLIENT_LOGGERS)
    names |= {n for n in logging.root.manager.loggerDict if n.split(".", 1)[0] in CLIENT_LOGGERS}
    for name in names:
        install_log_filter(logging.getLogger(name))
