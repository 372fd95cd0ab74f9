"""Text work on Zoom's descriptions: cleaning for an LLM, and pulling out the
facts Zoom keeps in prose (scopes, rate-limit label, documented error codes)."""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*\)")
_TAG = re.compile(r"<[^>]+>")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")

_SCOPE_LINE = re.compile(r"^\s*\*\*(?:Scopes|Granular Scopes)\s*:\*\*.*$", re.M | re.I)
_RATE_LINE = re.compile(r"^.*Rate Limit Label.*$", re.M | re.I)
_RATE_LABEL = re.compile(r"Rate Limit Label[^`]*`\s*([A-Za-z-]+)\s*`", re.I)
_SCOPES_TEXT = re.compile(r"\*\*Scopes\s*:\*\*(.*)$", re.M | re.I)
_GRANULAR_TEXT = re.compile(r"\*\*Granular Scopes\s*:\*\*(.*)$", re.M | re.I)
_BACKTICKED = re.compile(r"`([^`]+)`")

_LABELS = {"LIGHT": "LIGHT", "MEDIUM": "MEDIUM", "HEAVY": "HEAVY", "RESOURCE-INTENSIVE": "RESOURCE-INTENSIVE",
           "RESOURCE_INTENSIVE": "RESOURCE-INTENSIVE"}


def clean_description(text: str) -> str:
    """Markdown links to their text, HTML gone, whitespace tidied; the
    emphasis and code spans an LLM reads well are kept."""
    if not text:
        return ""
    t = html.unescape(text)
    t = re.sub(r"<br\s*/?>", "\n", t, flags=re.I)
    t = re.sub(r"</?(p|div|li|ul|ol|tr|table)[^>]*>", "\n", t, flags=re.I)
    t = _TAG.sub("", t)
    t = _LINK.sub(lambda m: m.group(1), t)
    t = t.replace("\r", "")
    t = _SPACES.sub(" ", t)
    t = "\n".join(line.strip() for line in t.split("\n"))
    t = _BLANKS.sub("\n\n", t)
    return t.strip()


def operation_description(text: str) -> str:
    """The operation's description without the scope and rate-limit boilerplate
    (those become fields of the action)."""
    t = _SCOPE_LINE.sub("", text or "")
    t = _RATE_LINE.sub("", t)
    return clean_description(t)


def rate_limit_label(text: str) -> str | None:
    m = _RATE_LABEL.search(text or "")
    if not m:
        return None
    return _LABELS.get(m.group(1).upper().strip(), m.group(1).upper().strip())


def scopes_from_text(text: str) -> tuple[list[str], list[str]]:
    def grab(rx: re.Pattern) -> list[str]:
        m = rx.search(text or "")
        return _BACKTICKED.findall(m.group(1)) if m else []

    return grab(_SCOPES_TEXT), grab(_GRANULAR_TEXT)


_ERROR_CODE = re.compile(r"\*\*Error Code:\*\*\s*`?(\d+)`?\s*(?:<br\s*/?>)?(.*?)(?=\*\*Error Code:\*\*|\Z)", re.S)


def documented_errors(description: str) -> list[dict]:
    """``**Error Code:** `3001` <br> Meeting does not exist ...`` -> [{code, message}]."""
    out = []
    for code, message in _ERROR_CODE.findall(description or ""):
        msg = clean_description(message)
        msg = " ".join(msg.split())
        out.append({"code": int(code), "message": msg})
    return out


def first_sentence(text: str, limit: int = 200) -> str:
    t = " ".join((text or "").split())
    m = re.search(r"(?<=[.!?])\s", t)
    s = t[: m.start()] if m else t
    if len(s) > limit:
        s = s[: limit - 1].rsplit(" ", 1)[0] + "…"
    return s
