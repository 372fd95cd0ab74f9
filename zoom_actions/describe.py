"""Descriptions sized for a context window.

Two modes:

* ``verbatim``: the catalog's text, untouched.
* ``compact`` (the default for tool export): per parameter, the first
  sentence unless it only echoes the parameter's name ("The meeting's
  topic." for ``topic``), plus up to two sentences that carry a fact an agent
  needs to call the API right (``me``, ID vs UUID, date/time formats and time
  zones, units, value separators, "cannot be used with", deprecation); enum
  explanations fold to ``value=meaning`` pairs, with the words every meaning
  shares said once; a few parameters that recur everywhere (``page_size``,
  ``next_page_token``, ``userId`` with ``me``) get one short glossary text.
  Markdown, examples, titles, "defaults to" sentences, pointers elsewhere and
  the root's ``additionalProperties: false`` are dropped. Types, enums,
  formats, bounds, defaults and ``required`` are never touched. A tool's own
  compact text is its first sentence plus `me` and per-day caps.

``render_schema(schema, mode)`` applies the mode to every description in a
JSON Schema; ``tool_description(action, mode)`` gives the tool's own text.
On the Meetings catalog the compact definitions cost under half the tokens
of the verbatim ones (``tests/adapters/test_describe.py`` measures it).
"""

from __future__ import annotations

import re
from typing import Any

MODES = ("compact", "verbatim")

# Sentences worth their tokens even when they are not the first one: what an
# agent cannot read off the name and the schema.
_FACTS = re.compile(
    r"""(
        `me`|\bme\b\s+value|\buuid|
        yyyy|\bhh:mm|\biso[- ]?8601|\butc\b|\bgmt\b|time[- ]?zone|
        \b(?:milli)?seconds?\b|\bminutes?\b|\bhours?\b|\bdays?\b|\bbytes?\b|\b[kmg]b\b|percent|
        comma[- ]separated|semicolon|separated\s+by|
        \bcannot\s+be\s+used|\bmutually\s+exclusive|\bonly\s+one\s+of|
        \bdeprecated\b|\bno\s+longer\s+supported\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_FACTS = 2
_ECHO_SLACK = 2       # new content words a first sentence may add and still count as an echo
_MAX_SENTENCE = 100   # characters of one kept sentence in compact mode
_MAX_MEANING = 48     # characters of one enum value's meaning (after common words are factored out)

# Compact texts for parameters that recur across the catalog with the same meaning.
GLOSSARY = {
    "page_size": "Records per page.",
    "next_page_token": "Token from the previous page's response; expires after 15 minutes.",
    "userId": "User ID or email, or `me` for the token's user (user-level apps).",
}
# A glossary entry replaces a description only when the description says what the entry keeps.
_GLOSSARY_NEEDS = {"userId": "`me`"}

# Sentences that only restate the schema, show an example or point elsewhere.
# A sentence that states the default: noise when the schema declares it, a fact when only the text does.
_DEFAULT_SENTENCE = re.compile(
    r"^(?:(?:this\s+(?:value|field)\s+)?defaults?\s+(?:to|is|value)\b|the\s+default\s+(?:value\s+)?is\b)",
    re.IGNORECASE)
_NOISE = re.compile(
    r"""^(?:
        for\s+(?:example|instance)\b|example\b|e\.g\.|
        (?:for\s+more\s+(?:information|details)|see\s+|learn\s+more|refer\s+to\s+)|
        for\s+a\s+list\s+of\b|
        a\s+uuid\s+that\s+starts\s+with\b.*\bby\s+the\s+runtime|
        note:\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_NOTE = re.compile(r"^(?:note|notes|important)\s*:\s*", re.IGNORECASE)
# Words that say nothing a parameter's name does not (for dropping echo descriptions).
_FILLER = set("""a an the of to for in on at by with and or is are be been this that these its it whether if
when which who can will would should whose their there than then as from into value values field fields
parameter param setting settings feature option options enable enabled enables disable disabled allow
allowed allows use used using set sets get gets specify specified specifies indicate indicates indicating
flag true false yes not no id ids identifier unique number numbers name names type list string""".split())

# Facts worth keeping in a tool's own (compact) description.
_TOOL_FACTS = re.compile(r"`me`|per\s+day|requests?\s+per", re.IGNORECASE)

_BULLET = re.compile(r"^\s*(?:[*\-•]|\d+[.)])(?:\s+|(?=`))(.*)$")   # `-`0` - Opt in` has no space
_ENUM_ITEM = re.compile(r"^(?:`([^`]{1,60})`\s*[-–—:=]\s*|([^`\s][^`]{0,60}?)\s*[-–—:=]\s+)(.+)$")
_INLINE_ITEM = re.compile(r"(?:^|(?<=\s))`([^`]{1,60})`\s*[-–—=]\s*")
_CODE_ITEM = re.compile(r"^`[^`]{1,60}`\s*(?:-|–|—|:|=)\s*\S")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_HTML = re.compile(r"</?[a-zA-Z][^>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`*\"'(\[])")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|vs|approx|no)\.$", re.IGNORECASE)
_DEFAULT_CLAUSE = re.compile(r"\s*(?:This|The)\s+(?:value|field)\s+defaults\s+to\s+[^.]*\.", re.IGNORECASE)


def clean_markdown(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = _HTML.sub("", text)
    text = text.replace("**", "").replace("\r", "")
    text = re.sub(r"(?<!\w)__(?=\w)|(?<=\w)__(?!\w)", "", text)  # __bold__, not flat__names
    text = text.replace("\u00a0", " ")
    return text


def _sentences(paragraph: str) -> list[str]:
    parts = _SENTENCE_END.split(paragraph.strip())
    out: list[str] = []
    for part in parts:
        if out and _ABBREV.search(out[-1]):
            out[-1] += " " + part
        else:
            out.append(part)
    return [p.strip() for p in out if p.strip()]


def _first_clause(text: str, limit: int = _MAX_MEANING) -> str:
    """An enum value's meaning, cut to its first clause."""
    text = text.strip().replace("`", "")
    first = re.split(r"(?<=[a-z0-9)])[.;](?:\s|$)|\s[-–—]\s", text, maxsplit=1)[0].strip().rstrip(".")
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return first


def _words(text: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z0-9]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text).lower().replace("'s", "")):
        out.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return out


def echoes_name(sentence: str, key: str | None) -> bool:
    """Whether ``sentence`` only restates the parameter name ``key``
    ("The meeting's topic." for ``topic``)."""
    if not key or "`" in sentence or " or " in sentence or _FACTS.search(sentence):
        return False  # references, alternatives and facts are never mere echoes
    content = _words(sentence) - _FILLER
    novel = content - _words(key.replace("_", " ")) - {"meeting", "user", "account", "zoom", "webinar"}
    return len(novel) <= _ECHO_SLACK


def _enum_strings(schema: dict | None) -> set[str]:
    if not schema:
        return set()
    values = list(schema.get("enum") or ())
    items = schema.get("items")
    if isinstance(items, dict):
        values += list(items.get("enum") or ())
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            if isinstance(branch, dict):
                values += list(branch.get("enum") or ())
    return {str(v) for v in values}


# Boilerplate said shorter (compact mode only); none of these changes what a sentence states.
_SHORTER = [(re.compile(p, re.IGNORECASE), r) for p, r in (
    (r"\bUse this field only if you(?:'re| are)\b", "Only if you're"),
    (r"\bThis field is required if you(?:'re| are)\b", "Required if you're"),
    (r"\bIf you use this field, you must also use\b", "Also set"),
    (r"\bTo use this field, you must also use\b", "Also set"),
    (r"\byou should provide\b", "provide"),
    (r"\bin order to\b", "to"),
    (r"\bfor this field\b", ""),
    (r"\bthis field's value\b", "the value"),
    (r"\bThe unique identifier of\b", "The ID of"),
    (r"\bUnique identifier of\b", "ID of"),
    (r"\bThe number of records returned\b", "Records returned"),
)]


def shorten(sentence: str) -> str:
    for pattern, repl in _SHORTER:
        sentence = pattern.sub(repl, sentence)
    return re.sub(r"\s{2,}", " ", sentence).replace(" .", ".").strip()


_WHETHER = re.compile(r"^Whether\s+(?:to\s+)?(\w)")


def _common_words(texts: list[list[str]], *, suffix: bool = False) -> int:
    """How many leading (or trailing) words all ``texts`` share."""
    n = 0
    while all(len(t) > n + 1 for t in texts):
        words = {(t[-1 - n] if suffix else t[n]).lower() for t in texts}
        if len(words) != 1 or any(c.isdigit() for c in next(iter(words))):
            break
        n += 1
    return n


def enum_pairs(pairs: list[tuple[str, str]]) -> list[str]:
    """``value=meaning`` items, each meaning cut to its first clause, with the
    words every meaning shares said once ("Send N day(s) after the end date"
    -> "Send … after the end date: 1=1 day; 2=2 days")."""
    meanings = [_first_clause(m, limit=10_000).split() for _, m in pairs]
    lead = tail = 0
    skip = -1  # one outlier ("0=No plan") may stand outside the shared frame
    if len(pairs) > 2:
        for outlier in (-1, 0, len(pairs) - 1):
            rest = [m for i, m in enumerate(meanings) if i != outlier]
            a = _common_words(rest)
            b = _common_words([m[a:] for m in rest], suffix=True)
            if a + b >= 2 and a + b > lead + tail:
                lead, tail, skip = a, b, outlier
    framed = [i for i in range(len(pairs)) if i != skip] if lead or tail else []
    out = []
    for i, ((value, _), words) in enumerate(zip(pairs, meanings)):
        if i in framed:
            core = " ".join(words[lead:len(words) - tail if tail else None])
        else:
            core = " ".join(words)
        if len(core) > _MAX_MEANING:
            core = core[:_MAX_MEANING].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        if len(_words(core) - _FILLER - _words(value)) <= 1 and not value.lstrip("-").isdigit():
            core = ""  # "live=Live", "upcoming_meetings=All upcoming meetings" add nothing
        out.append(f"{value}={core}" if core else value)
    if framed:
        sample = meanings[framed[0]]
        frame = " ".join(sample[:lead]) + (" … " if lead and tail else " …" if lead else "… ") + \
            " ".join(sample[len(sample) - tail:] if tail else [])
        out[framed[0]] = f"({frame.strip()}) {out[framed[0]]}"
    return out


def _cap(sentence: str, limit: int = _MAX_SENTENCE) -> str:
    if _FACTS.search(sentence):
        limit *= 2  # a sentence carrying a fact keeps more room, so the fact itself is not cut
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def compact_text(text: str | None, schema: dict | None = None, *, key: str | None = None,
                 facts: re.Pattern = _FACTS, max_facts: int = _MAX_FACTS, bullets: bool = True) -> str:
    """The compact form of one description. ``schema`` (the property the text
    belongs to) lets enum explanations fold to ``value=meaning`` pairs;
    ``key`` (the property's name) lets a first sentence that only echoes it
    go; ``facts`` picks up to ``max_facts`` further sentences worth keeping;
    ``bullets=False`` drops short list items that are not facts."""
    if not text:
        return ""
    enum = _enum_strings(schema)
    text = clean_markdown(text)
    kept: list[str] = []
    items: list[str] = []
    pairs: list[tuple[str, str]] = []
    seen_first = False
    n_facts = 0

    declared_default = str(schema["default"]).lower() if schema and "default" in schema else None

    def noise(sentence: str) -> bool:
        """Restates the schema: a default sentence is noise when the schema declares that same default."""
        return bool(_NOISE.match(sentence)) or (declared_default is not None and bool(
            _DEFAULT_SENTENCE.match(sentence)) and declared_default in sentence.lower())

    def fact(sentence: str, *, important: bool = False) -> None:
        nonlocal n_facts
        if (n_facts < max_facts or important) and facts.search(sentence) and not noise(sentence) \
                and "for more information" not in sentence.lower():
            kept.append(_cap(shorten(sentence.rstrip())))
            n_facts += 1

    table_header = True
    for raw_line in text.split("\n"):
        stripped = raw_line.strip()
        important = bool(_NOTE.match(stripped))   # "Important:"/"Note:" facts are kept past max_facts
        line = _NOTE.sub("", stripped)
        if not line:
            continue
        if line.startswith("|"):   # a Markdown table: rows become items, the header and rule go
            cells = [c.strip() for c in line.strip("|").split("|")]
            if table_header or all(set(c) <= set("-: ") for c in cells):
                table_header = False
                continue
            line = "- " + cells[0] + (": " + "; ".join(c for c in cells[1:] if c) if len(cells) > 1 else "")
        else:
            table_header = True
        bullet = _BULLET.match(line)
        candidate = bullet.group(1).strip() if bullet else line
        item = _ENUM_ITEM.match(candidate)
        value = item and (item.group(1) or item.group(2)).strip("` ")
        if item and (bullet or value in enum or _CODE_ITEM.match(candidate)):
            pairs.append((value, item.group(3)))
            continue
        if bullet:
            if enum and candidate.strip("`. ") in enum:
                continue  # a bare list of the enum values: the schema has them
            if facts.search(candidate):
                for sentence in _sentences(candidate):
                    fact(sentence)
            elif bullets and len(candidate) <= 40:
                items.append(candidate.strip("` .").replace("`", ""))
            continue
        for sentence in _sentences(line):
            sentence = _NOTE.sub("", _DEFAULT_CLAUSE.sub("", sentence).strip())
            marks = list(_INLINE_ITEM.finditer(sentence))
            if marks and (not enum or marks[0].group(1) in enum):
                # "Type `1`- All day, `2`- Custom hours" lists the values inline
                for i, m in enumerate(marks):
                    end = marks[i + 1].start() if i + 1 < len(marks) else len(sentence)
                    pairs.append((m.group(1), sentence[m.end():end].strip().rstrip(",;")))
                sentence = sentence[:marks[0].start()].strip()
            if not sentence or noise(sentence):
                continue
            if not seen_first:
                seen_first = True
                if not echoes_name(sentence, key):
                    kept.append(_cap(shorten(sentence)))
            else:
                fact(sentence, important=important)
    if schema is not None and "boolean" in str(schema.get("type")) and kept:
        kept[0] = _WHETHER.sub(lambda m: m.group(1).upper(), kept[0], count=1)
    out = " ".join(s if s.endswith((".", ":", "?", "!", ")", "`")) else s + "." for s in kept)
    if pairs:
        items = enum_pairs(pairs) + items
    if items:
        joined = "; ".join(items)
        out = f"{out} {joined}." if out else joined + "."
        out = out.replace(":. ", ": ").replace(": ;", ":")
    return re.sub(r"\s{2,}", " ", out).strip()


def describe(text: str | None, schema: dict | None = None, mode: str = "compact") -> str:
    if mode == "verbatim":
        return text or ""
    if mode != "compact":
        raise ValueError(f"description mode must be one of {MODES}, not {mode!r}")
    return compact_text(text, schema)


# JSON Schema keywords that hold subschemas, by shape.
_MAP_KEYS = ("properties", "$defs", "definitions", "patternProperties")
_ONE_KEYS = ("items", "additionalProperties", "not", "contains", "if", "then", "else", "propertyNames")
_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
_COMPACT_DROP = ("examples", "example", "$comment")


def render_schema(schema: Any, mode: str = "compact") -> Any:
    """A copy of ``schema`` with every description in ``mode``. Compact mode
    also drops examples, titles and the root's ``additionalProperties:
    false``; no parameter, type, enum, bound, default or ``required`` entry
    changes. Verbatim mode returns an unchanged deep copy."""
    if mode not in MODES:
        raise ValueError(f"description mode must be one of {MODES}, not {mode!r}")
    out = _render(schema, mode)
    if mode == "compact" and isinstance(out, dict) and out.get("additionalProperties") is False \
            and "properties" in out:
        # The root's closed-world marker is for validators (the executor rejects unknown
        # names itself); strict dialects put it back on every object.
        del out["additionalProperties"]
    return out


def _glossary_covers(name: str, text: Any) -> bool:
    """The glossary entry may stand in for ``text`` only when it states every fact ``text`` does."""
    entry = GLOSSARY[name].lower()
    return all(m.group(0).lower() in entry for m in _FACTS.finditer(str(text)))


def _render(node: Any, mode: str, name: str | None = None) -> Any:
    if isinstance(node, list):
        return [_render(v, mode) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _MAP_KEYS and isinstance(value, dict):
            out[key] = {k: _render(v, mode, k) for k, v in value.items()}
        elif key in _ONE_KEYS and isinstance(value, dict):
            out[key] = _render(value, mode, name if key == "items" else None)
        elif key in _LIST_KEYS and isinstance(value, list):
            out[key] = [_render(v, mode) for v in value]
        elif mode == "compact" and key in _COMPACT_DROP:
            continue
        elif mode == "compact" and key == "title":
            continue
        elif mode == "compact" and key == "description":
            if name in GLOSSARY and _GLOSSARY_NEEDS.get(name, "") in str(value) and _glossary_covers(name, value):
                out[key] = GLOSSARY[name]
                continue
            text = compact_text(value, node, key=name.rsplit("__", 1)[-1] if name else None)
            if text:
                out[key] = text
        else:
            out[key] = value
    return out


def tool_description(action: dict, mode: str = "compact") -> str:
    """The tool's own description: verbatim, the catalog's description; compact,
    its first sentence plus the facts an agent needs (``me``, UUIDs, time
    formats, daily caps), with a deprecation notice when it applies."""
    text = action.get("description") or action.get("short_description") or action.get("title") or ""
    if mode == "verbatim":
        return text
    if mode != "compact":
        raise ValueError(f"description mode must be one of {MODES}, not {mode!r}")
    compact = compact_text(text, facts=_TOOL_FACTS, bullets=False)
    if "`me`" in compact and "userId" in ((action.get("input_schema") or {}).get("properties") or {}):
        # the userId parameter says it already
        compact = " ".join(s for s in _sentences(compact) if "`me`" not in s) or compact
    if not compact:
        compact = action.get("title", "")
    if action.get("deprecated") and "deprecat" not in compact.lower():
        compact = "Deprecated. " + compact
    return compact
