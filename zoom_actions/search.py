"""Finding the right actions for a task, offline.

``search(catalog, "who attended my last meeting", k=5)`` returns action
names, best first. The default ranker needs no service and no download:
BM25 over each action's name, title, tags, short description, the start of
its description, its path, its parameter names and the top-level fields of
its response, with field weights, a light stemmer, a small hand-written
synonym map for Zoom's vocabulary ("attended" -> participants, "join link"
-> invitation/join_url, "move"/"reschedule" -> update), and a nudge towards
the action's verb (a "who/what/show" task prefers reads; "move", "cancel",
"schedule" prefer updates, deletes and creates). The index is built on first
use and cached per catalog.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from typing import Iterable

_STOP = set("""
a an the of to for in on at by with from and or is are was were be been am do does did i me my mine we our us
you your it its this that these those there here what which who whom whose how when where why can could
would should will shall may might must please all any some every each no not just only also as into about
up out over under again new get give show tell find see let make have has had want need s""".split())
# "me" and "my" carry no retrieval signal (Zoom's `me` is a parameter value, not a topic).

# When a task happens says nothing about which action does it ("tomorrow", "4pm", "this month").
_TIME = set("""today tomorrow tonight yesterday week weekly month monthly year yearly day daily morning afternoon
evening noon midnight am pm hour hours minute monday tuesday wednesday thursday friday saturday sunday
january february march april may june july august september october november december now right soon later
made name named called""".split())
_TIME_RE = re.compile(r"^\d+(?:am|pm|st|nd|rd|th|h|k)?$")

# Query-side expansions: a word in a task -> catalog words it stands for.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "attend": ("participant",), "attended": ("participant",), "attendee": ("participant",),
    "attendance": ("participant",), "joined": ("participant",), "who": ("participant", "user", "member", "list"),
    "link": ("invitation", "join", "url"), "url": ("join", "invitation"), "share": ("invitation",),
    "invite": ("invitation", "invite"), "invitation": ("invitation",),
    "move": ("update",), "reschedule": ("update",), "change": ("update",), "edit": ("update",),
    "rename": ("update",), "modify": ("update",), "postpone": ("update",), "push": ("update",),
    "enable": ("update", "setting"), "disable": ("update", "setting"), "turn": ("update", "setting"),
    "set": ("update",), "reset": ("update",), "mark": ("update", "status"), "approve": ("status", "update"),
    "deny": ("status", "update"), "deactivate": ("status", "delete"), "activate": ("status",),
    "cancel": ("delete",), "remove": ("delete", "remove"), "erase": ("delete",), "trash": ("delete", "recover"),
    "purge": ("delete",), "restore": ("recover",), "undelete": ("recover",),
    "schedule": ("create", "meeting"), "book": ("create", "meeting"), "setup": ("create",),
    "arrange": ("create",), "organize": ("create",), "start": ("create",), "register": ("registrant", "add"),
    "registration": ("registrant",), "signed": ("registrant",), "signup": ("registrant",),
    "rsvp": ("registrant",), "enroll": ("registrant",),
    "sync": ("meeting",), "standup": ("meeting",), "huddle": ("meeting",), "catchup": ("meeting",),
    "interview": ("meeting",), "session": ("meeting",), "allhands": ("meeting",), "hand": ("meeting",),
    "summary": ("summary",), "recap": ("summary",), "notes": ("summary",), "minutes": ("summary",),
    "ai": ("summary",), "transcript": ("recording", "transcript"), "video": ("recording",),
    "record": ("recording",), "recorded": ("recording",), "made": (), "cloud": ("recording", "cloud"),
    "viewed": ("analytics",), "downloaded": ("analytics", "download"), "views": ("analytics",),
    "last": ("past",), "previous": ("past",), "ended": ("past",), "yesterday": ("past",),
    "finished": ("past",), "recent": ("past", "history"), "earlier": ("past",),
    "upcoming": ("upcoming",), "coming": ("upcoming",), "next": ("upcoming",), "future": ("upcoming",),
    "scheduled": ("meeting", "list"),
    "running": ("live", "status"), "end": ("status",), "live": ("live",), "ongoing": ("live",),
    "employee": ("user",), "person": ("user",), "people": ("user", "member"), "colleague": ("user",),
    "teammate": ("user",), "staff": ("user",), "member": ("member",), "left": ("status", "delete"),
    "profile": ("user", "profile"), "photo": ("picture",), "avatar": ("picture",), "picture": ("picture",),
    "passcode": ("password",), "password": ("password",), "pin": ("password", "pin"),
    "available": ("presence", "status"), "busy": ("presence", "status"), "dnd": ("presence", "status"),
    "disturb": ("presence", "status"), "away": ("presence", "status"), "presence": ("presence",),
    "department": ("group",), "team": ("group",), "division": ("group",),
    "usage": ("report", "usage"), "analytics": ("report", "analytics"), "statistics": ("report",),
    "stats": ("report",), "metrics": ("report", "metric"), "audit": ("log", "report"),
    "storage": ("cloud", "recording", "usage"), "active": ("active",), "inactive": ("inactive",),
    "signin": ("sign", "activity"), "signout": ("sign", "activity"), "login": ("sign", "activity"),
    "logout": ("sign", "activity"),
    "answer": ("poll", "result"), "answered": ("poll", "result"), "vote": ("poll",), "quiz": ("poll",),
    "survey": ("survey",), "feedback": ("survey",), "questionnaire": ("survey",), "question": ("qa",),
    "questions": ("qa",), "q": ("qa",),
    "showed": ("absentee",), "absent": ("absentee",), "absentee": ("absentee",), "noshow": ("absentee",),
    "never": ("absentee",),
    "speaker": ("panelist",), "presenter": ("panelist",), "panel": ("panelist",),
    "youtube": ("livestream", "stream"), "stream": ("livestream", "stream"), "broadcast": ("livestream",),
    "livestream": ("livestream", "stream"),
    "template": ("template",), "archive": ("archive",), "archived": ("archive",),
    "room": ("device", "room"), "rooms": ("device", "room"), "hardware": ("device",),
    "h": ("h323",), "h323": ("h323", "sip"), "sip": ("sip",),
    "zak": ("zak",), "token": ("token",),
    "phone": ("phone",), "calls": ("call",), "call": ("call",), "dial": ("call",),
    "history": ("history", "log"), "log": ("log",), "logs": ("log",),
    "voicemail": ("voicemail", "voice", "mail"), "voicemails": ("voicemail", "voice", "mail"),
    "listen": ("voicemail", "recording"), "read": ("read",),
    "text": ("sms",), "texts": ("sms",), "sms": ("sms",), "message": ("message", "sms"), "messages": ("message", "sms"),
    "number": ("number",), "did": ("number",), "own": ("list",),
    "queue": ("queue",), "agent": ("member",), "agents": ("member",),
    "spam": ("block",), "block": ("block", "blocked"), "blocked": ("blocked", "block"),
    "desk": ("desk", "device"), "deskphone": ("desk", "device"), "handset": ("desk", "device"),
    "restart": ("reboot",), "reboot": ("reboot",),
    "emergency": ("emergency",), "e911": ("emergency",), "office": ("address", "location"),
    "site": ("site",), "sites": ("site",),
    "attendant": ("receptionist",), "ivr": ("receptionist", "ivr"), "receptionist": ("receptionist",),
    "contact": ("contact",), "directory": ("directory", "contact"),
    "plan": ("plan",), "plans": ("plan",), "calling": ("calling",),
    "quality": ("qos",), "qos": ("qos",), "jitter": ("qos",), "latency": ("qos",),
    "assistant": ("assistant",), "delegate": ("assistant", "scheduler"),
    "exists": ("check",), "whether": ("check",), "already": ("check", "past"),
}

# Words that stand only for their expansions: in Zoom's texts they mean
# something else ("sync" is call-log synchronisation, "move" a member move).
ALIASES = {"sync", "standup", "huddle", "catchup", "move", "reschedule", "postpone", "push", "interview",
           "allhands", "attend", "attended", "attendee", "attendance", "joined", "last", "previous",
           "yesterday", "coming", "who", "employee", "person", "people", "colleague", "teammate", "staff",
           "left", "signed", "recap", "notes", "minutes", "ai", "photo", "avatar", "spam", "restart",
           "attendant", "quality", "jitter", "latency", "texts", "text", "usage", "storage", "audit",
           "answer", "answered", "showed", "never", "absent", "speaker", "presenter", "youtube",
           "broadcast", "agent", "agents", "own", "department", "team", "division", "available", "busy",
           "away", "disturb", "dnd", "running", "ended", "finished", "already", "share", "listen", "viewed",
           "downloaded", "views", "exists", "whether", "office", "hardware", "handset", "deskphone"}

_OWNER = {"my", "mine", "i", "me", "myself"}

# Verb families: what the task wants to do, and the action-name verbs that do it.
_VERBS = {
    "read": {"get", "list", "check", "download", "sync"},
    "create": {"create", "add", "enable", "assign", "upload", "perform", "batch", "duplicate"},
    "update": {"update", "change", "set", "use", "mark", "assign", "recover", "reboot", "upgrade", "activate"},
    "delete": {"delete", "remove", "unassign", "revoke"},
}
_INTENT_WORDS = {
    "read": {"who", "what", "which", "show", "list", "get", "see", "find", "look", "fetch", "view",
             "details", "detail", "how", "is", "are", "download", "listen", "check", "whether"},
    "create": {"create", "schedule", "book", "add", "new", "register", "setup", "make", "invite", "signup",
               "upload", "save", "give", "let", "block"},
    "update": {"move", "reschedule", "change", "edit", "rename", "update", "modify", "enable", "disable",
               "turn", "set", "reset", "approve", "deny", "mark", "end", "restore", "deactivate", "restart",
               "postpone"},
    "delete": {"delete", "cancel", "remove", "erase", "purge", "drop", "deactivate"},
}

def _by_stem(words):
    return {stem(w) for w in words}


def _stem_keys(mapping: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for word, syns in mapping.items():
        key = stem(word)
        out[key] = tuple(dict.fromkeys(out.get(key, ()) + tuple(stem(s) for s in syns)))
    return out


_FIELD_WEIGHTS = {"name": 3.0, "title": 2.5, "tags": 1.5, "short": 1.5, "path": 1.2, "desc": 0.6,
                  "params": 0.4, "output": 0.3}
_K1, _B = 1.2, 0.6
_DASHBOARD_FACTOR = 0.8   # a task that does not ask for the dashboard wants the meeting's own action
_DASHBOARD_WORDS = {"dashboard", "metric", "qos", "quality", "health", "crc"}
_NAME_BONUS = 1.0  # a name whose every word the task mentions scores up to twice as much
_TOKEN = re.compile(r"[a-z0-9]+")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def stem(word: str) -> str:  # noqa: C901 - a handful of suffix rules
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith("ed") and len(word) > 4 and not word.endswith("eed"):
        return word[:-2] if not word.endswith("ied") else word[:-3] + "y"
    return word


def tokens(text: str, *, keep_stop: bool = False) -> list[str]:
    text = _EMAIL.sub(" email ", text or "")
    text = _CAMEL.sub(" ", text).replace("'s", "").replace("’s", "").lower()
    text = text.replace("q&a", "qa").replace("h.323", "h323").replace("e-mail", "email")
    text = text.replace("sign up", "signup").replace("signed up", "signup")
    text = re.sub(r"\b(?:sign(?:ed)?|log(?:ged)?) in\b", "signin", text)
    text = re.sub(r"\b(?:sign(?:ed)?|log(?:ged)?) out\b", "signout", text).replace("set up", "setup").replace("all-hands", "allhands")
    text = text.replace("voice mail", "voicemail").replace("do not disturb", "dnd").replace("show up", "showed up")
    words = _TOKEN.findall(text)
    return [stem(w) for w in words if keep_stop or w not in _STOP]


class Index:
    """BM25F-style index over one catalog."""

    def __init__(self, catalog) -> None:
        self.names: list[str] = list(catalog.names())
        self.verbs: list[str] = []
        self.tf: list[dict[str, float]] = []
        self.lengths: list[float] = []
        self.name_words: list[set[str]] = []
        self.dashboard: list[bool] = []   # /metrics/...: the account dashboard's view of the same facts
        df: Counter = Counter()
        for name in self.names:
            doc = catalog.get(name)
            fields = _fields(name, doc)
            weighted: dict[str, float] = defaultdict(float)
            for field, words in fields.items():
                w = _FIELD_WEIGHTS[field]
                for word in words:
                    weighted[word] += w
            self.tf.append(dict(weighted))
            self.lengths.append(sum(weighted.values()))
            df.update(weighted.keys())
            self.verbs.append(name.split("_")[1].lower() if "_" in name else "")
            self.name_words.append(set(fields["name"][1:]) or set(fields["name"]))
            self.dashboard.append(doc.get("operation", {}).get("path", "").startswith("/metrics/"))
        n = len(self.names)
        self.avg = (sum(self.lengths) / n) if n else 1.0
        self.idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
        self.position = {name: i for i, name in enumerate(self.names)}

    def score(self, query: str, candidates: Iterable[int] | None = None) -> list[tuple[float, int]]:
        raw = tokens(query, keep_stop=True)
        synonyms, aliases, time_words = _lookups()
        terms: dict[str, float] = defaultdict(float)
        for word in raw:
            if word not in _STOP and word not in time_words and not _TIME_RE.match(word) and word not in aliases:
                terms[word] = max(terms[word], 1.0)
            for syn in synonyms.get(word, ()):
                terms[syn] = max(terms[syn], 0.8 if word in aliases else 0.6)
            if word in _OWNER:
                terms["user"] = max(terms["user"], 0.3)  # "my ..." leans to the user-level action
        intent = _intent(raw)
        asks_dashboard = bool(_DASHBOARD_WORDS & set(raw))
        docs = range(len(self.names)) if candidates is None else candidates
        out = []
        for i in docs:
            tf, length = self.tf[i], self.lengths[i]
            s = 0.0
            for term, qw in terms.items():
                f = tf.get(term)
                if f:
                    s += qw * self.idf[term] * f * (_K1 + 1) / (f + _K1 * (1 - _B + _B * length / self.avg))
            if s and intent:
                s *= _verb_factor(self.verbs[i], intent)
            if s and self.dashboard[i] and not asks_dashboard:
                s *= _DASHBOARD_FACTOR
            if s:
                words = self.name_words[i]
                hit = sum(1 for w in words if w in terms)
                s *= 1 + _NAME_BONUS * hit / max(len(words), 1)
            if s > 0:
                out.append((s, i))
        out.sort(key=lambda t: (-t[0], t[1]))
        return out


_LOOKUPS: tuple | None = None


def _lookups():
    """SYNONYMS, ALIASES, time words and intent words keyed by their stems (built once)."""
    global _LOOKUPS
    if _LOOKUPS is None:
        intents = {kind: _by_stem(words) for kind, words in _INTENT_WORDS.items()}
        _LOOKUPS = (_stem_keys(SYNONYMS), _by_stem(ALIASES), _by_stem(_TIME), intents)
    return _LOOKUPS[:3]


def _intent(words: list[str]) -> str | None:
    _lookups()
    votes: Counter = Counter()
    for pos, word in enumerate(words):
        if word == "give":  # "give me X" reads X; "give X to Y" assigns it
            votes["read" if pos + 1 < len(words) and words[pos + 1] in ("me", "us") else "create"] += 2 if pos == 0 else 1
            continue
        for kind, vocab in _LOOKUPS[3].items():
            if word in vocab:
                votes[kind] += 2 if pos == 0 else 1
    if not votes:
        return "implicit-read"  # a bare noun phrase ("my recent phone calls") asks to see something
    (kind, top), *rest = votes.most_common()
    if rest and rest[0][1] == top:
        return None
    return kind


def _verb_factor(verb: str, intent: str) -> float:
    if intent == "implicit-read":
        return 1.15 if verb in ("get", "list") else 0.85
    if verb in _VERBS[intent]:
        return 1.35
    if intent == "read" and any(verb in _VERBS[k] for k in ("delete",)):
        return 0.55
    if intent != "read" and verb in _VERBS["read"]:
        return 0.75
    return 0.9


def _fields(name: str, doc: dict) -> dict[str, list[str]]:
    short = doc.get("short_description") or ""
    desc = doc.get("description") or ""
    first = " ".join(re.split(r"(?<=[.!?])\s+", desc.replace("\n", " "))[:2])
    params: list[str] = []
    for flat in (doc.get("input_schema") or {}).get("properties") or {}:
        params += tokens(flat.replace("__", " ").replace("_", " "))
    out_props = (((doc.get("output_schema") or {}).get("properties") or {}).get("data") or {}).get("properties") or {}
    output: list[str] = []
    for key in out_props:
        output += tokens(key.replace("_", " "))
    path = (doc.get("operation") or {}).get("path", "")
    return {
        "name": tokens(name.removeprefix("ZOOM_").replace("_", " ")),
        "title": tokens(doc.get("title") or ""),
        "tags": tokens(" ".join(doc.get("tags") or ())),
        "short": tokens(short),
        "path": tokens(re.sub(r"\{[^}]*\}", " ", path).replace("/", " ").replace("_", " ")),
        "desc": tokens(first),
        "params": params,
        "output": output,
    }


_lock = threading.Lock()
_indexes: dict[str, Index] = {}


def index_for(catalog) -> Index:
    key = str(getattr(catalog, "directory", id(catalog)))
    idx = _indexes.get(key)
    if idx is None:
        with _lock:
            idx = _indexes.get(key)
            if idx is None:
                idx = _indexes[key] = Index(catalog)
    return idx


def search(catalog, query: str, k: int = 5, names: Iterable[str] | None = None) -> list[str]:
    """Up to ``k`` action names for ``query``, best first; ``names`` restricts
    the candidates (a filtered selection)."""
    if not query or not query.strip() or k <= 0:
        return []
    idx = index_for(catalog)
    candidates = None
    if names is not None:
        candidates = [idx.position[n] for n in names if n in idx.position]
    return [idx.names[i] for _, i in idx.score(query, candidates)[:k]]
