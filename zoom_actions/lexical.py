"""Lexical ranking: BM25F over what the catalog's index says of each action.

Fields, with weights: the action's name, title, tags, short description,
path and parameter names (from ``index.json``), and what
``zoom_actions.search_documents`` reads of the action's document: the
operations its enums select, the first paragraphs of its description, the
setting names of its body (matched, but not counted in the document's length:
a settings action is not made "longer" by its hundred settings). A light
stemmer, a small hand-written synonym map for Zoom's and agents' vocabulary
("attended" -> participants, "join link" -> invitation, "move"/"reschedule" ->
update, "offboard" -> delete a user, "missed calls" -> call history) and a
nudge towards the action's verb (a "who/what/show" task prefers reads; "move",
"cancel", "schedule" prefer updates, deletes and creates).

A little grammar, because a task is a sentence, not a bag of words: a noun in
the plural ("my voicemails", "the registrants") prefers the action on the
collection over the one on a single item, an identifier ("meeting
81234567890") the other way round; a verb after an article is a noun ("post
an update" sends a message, it updates nothing); "check that ..." is no verb;
the words of a "with ..." phrase say who takes part, not what is acted on;
"add Leo to the channel" is about the channel's members, and so is "remove Ben
from the group"; a verb in a relative clause ("people who registered")
describes, it does not command; a verb said in two parts is read as the one
it means (``rewrite``: "take Maria off the panel" removes, "let the channel
know" sends, "let anyone with the link view it" changes a setting, "push the
1:1 to next week" reschedules, "kick off the campaign" and "go live with the
flow" start, "shut the meeting down" ends it, "give Raj the admin role"
assigns it, "email the contract to legal" sends one); "who" asks for the list
of people, and "what did people post" asks what happened (nothing is posted);
a new name is a value, not a description ("rename meeting 84455667788 to
Poll Review" changes the meeting, not a poll: ``without_values``, for the
embedded task too); a meeting named by when it happens ("yesterday's standup") is one meeting,
whose own actions (its summary, its polls) come before the account's list;
a count is no identifier ("add 200 prospects"), and a change to many things
at once ("delete these 30 emails", "... in bulk") prefers the batch action; "n't" is a negation
("aren't assigned" is "not assigned", Zoom's "unassigned"), "sign Priya up" registers her, "lock Jason
out" suspends him, "get rid of" deletes, "turn down" rejects, "... instead of Tuesdays" changes.

Scoring walks posting lists (only the actions that hold a query word), so a
query costs a few thousand additions whatever the catalog's size.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict

_STOP = set("""
a an the of to for in on at by with from and or is are was were be been am do does did i me my mine we our us
you your it its this that these those there here what which who whom whose how when where why can could
would should will shall may might must please all any some every each no not just only also as into about
up out over under again new get give show tell find see let make have has had want need s zoom""".split())
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
    "attendance": ("participant",), "joined": ("participant",), "who": ("participant", "user", "member", "list", "collaborator"),
    "link": ("invitation", "join", "url"), "url": ("join", "invitation"), "share": ("invitation",),
    "invite": ("invitation", "invite"), "invitation": ("invitation",),
    "move": ("update",), "reschedule": ("update",), "change": ("update",), "edit": ("update",),
    "rename": ("update",), "retitle": ("update", "title", "topic"), "modify": ("update",), "postpone": ("update",), "push": ("update",),
    "enable": ("update", "setting"), "disable": ("update", "setting"), "turn": ("update", "setting"),
    "set": ("update",), "reset": ("update",), "mark": ("update", "status"), "approve": ("status", "update"),
    "deny": ("status", "update"), "deactivate": ("status", "delete"), "activate": ("status",),
    "cancel": ("delete",), "remove": ("delete", "remove"), "erase": ("delete",), "trash": ("delete", "recover"),
    "purge": ("delete",), "restore": ("recover",), "undelete": ("recover",),
    "schedule": ("create", "meeting"), "book": ("create", "meeting"), "assign": ("assign", "assignee"), "setup": ("create",),
    "arrange": ("create",), "organize": ("create",), "start": ("create",), "register": ("registrant", "add"),
    "registration": ("registrant",), "signed": ("registrant",), "signup": ("registrant",),
    "rsvp": ("registrant",), "enroll": ("registrant",),
    "sync": ("meeting",), "oneonone": ("meeting",), "kickoff": ("meeting",), "retro": ("meeting",),
    "townhall": ("meeting",), "standup": ("meeting",), "huddle": ("meeting",), "catchup": ("meeting",),
    "interview": ("meeting",), "session": ("meeting",), "allhands": ("meeting",), "hand": ("meeting",),
    # what people call their meetings
    "meetup": ("meeting",), "review": ("meeting",), "demo": ("meeting",), "briefing": ("meeting",),
    "workshop": ("meeting",), "training": ("meeting",), "class": ("meeting",), "lecture": ("meeting",),
    "seminar": ("meeting",), "crit": ("meeting",), "officehours": ("meeting",), "qbr": ("meeting",),
    "offsite": ("meeting",), "brainstorm": ("meeting",), "debrief": ("meeting",), "onsite": ("meeting",),
    "registrationform": ("registration", "question"), "rtmp": ("livestream", "stream"), "happening": ("live",),
    "progress": ("live",), "current": ("live",), "currently": ("live",),
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
    "teammate": ("user",), "staff": ("user",), "member": ("member",), "admin": ("admin", "administrator"),
    "admins": ("admin", "administrator"), "left": ("status", "delete"),
    "profile": ("user", "profile"), "photo": ("picture",), "avatar": ("picture",), "picture": ("picture",),
    "passcode": ("password",), "password": ("password",), "pin": ("password", "pin"),
    "available": ("presence", "status"), "busy": ("presence", "status"), "dnd": ("presence", "status"),
    "disturb": ("presence", "status"), "away": ("presence", "status"), "presence": ("presence",),
    "department": ("group", "dept"), "team": ("group",), "division": ("group",),
    "usage": ("report", "usage"), "analytics": ("report", "analytics"), "statistics": ("report",),
    "stats": ("report",), "metrics": ("report", "metric"), "audit": ("log", "report"),
    "storage": ("cloud", "recording", "usage"), "active": ("active",), "inactive": ("inactive",),
    "signin": ("sign", "activity"), "signout": ("sign", "activity"), "login": ("sign", "activity"),
    "logout": ("sign", "activity"),
    "answer": ("poll", "result"), "answered": ("poll", "result"), "vote": ("poll",), "quiz": ("poll",),
    "survey": ("survey",), "feedback": ("survey",), "questionnaire": ("survey",), "question": ("qa",),
    "questions": ("qa",), "q": ("qa",),
    "showedup": ("participant",), "absent": ("absentee",), "absentee": ("absentee",), "noshow": ("absentee",),
    "never": ("absentee",),
    "speaker": ("panelist",), "presenter": ("panelist",), "panel": ("panelist",),
    "youtube": ("livestream", "stream"), "stream": ("livestream", "stream"), "broadcast": ("livestream",),
    "livestream": ("livestream", "stream"),
    "template": ("template",), "archive": ("archive",), "archived": ("archive",),
    "room": ("device", "room", "zoomroom"), "rooms": ("device", "room", "zoomroom"), "zoomroom": ("room",), "hardware": ("device",),
    "h": ("h323",), "h323": ("h323", "sip"), "sip": ("sip",),
    "zak": ("zak",), "token": ("token",),
    "phone": ("phone",), "calls": ("call", "meeting"), "call": ("call", "meeting"), "dial": ("call",),
    "history": ("history", "log"), "log": ("log",), "logs": ("log",),
    "voicemail": ("voicemail", "voice", "mail"), "voicemails": ("voicemail", "voice", "mail"),
    "listen": ("voicemail", "recording"), "read": ("read",),
    "conversation": ("session", "conversation"), "pause": ("control",), "resume": ("control",),
    "callout": ("invite", "control"), "doc": ("file", "document"), "docs": ("file", "document"), "text": ("sms",), "texts": ("sms",), "sms": ("sms",), "dnc": ("dnc",), "message": ("message", "sms"), "messages": ("message", "sms"),
    "number": ("number",), "did": ("number",), "own": ("list",),
    "queue": ("queue",), "agent": ("member", "user"), "agents": ("member", "user"),
    "spam": ("block",), "block": ("block", "blocked"), "blocked": ("blocked", "block"),
    "desk": ("desk", "workspace", "reservation"), "floor": ("workspace", "floor"), "deskphone": ("desk", "device"), "handset": ("desk", "device"),
    "restart": ("reboot",), "reboot": ("reboot",),
    "emergency": ("emergency",), "e911": ("emergency",), "office": ("address", "location"),
    "site": ("site",), "sites": ("site",),
    "attendant": ("receptionist",), "ivr": ("receptionist", "ivr"), "receptionist": ("receptionist",),
    "contact": ("contact",), "directory": ("directory", "contact"),
    "plan": ("plan",), "plans": ("plan",), "calling": ("calling",),
    "quality": ("qos",), "qos": ("qos",), "jitter": ("qos",), "latency": ("qos",),
    "assistant": ("assistant",), "delegate": ("assistant", "scheduler"),
    "exists": ("check",), "whether": ("check",), "already": ("check", "past"),
    # agents' everyday words for what Zoom's titles call otherwise
    "post": ("send", "message"), "missed": ("call", "history", "log", "absentee"), "listened": ("read",), "heard": ("read",),
    "flag": ("mark", "status", "update"), "forward": ("handling", "forward"), "forwarding": ("handling", "forward"),
    "behalf": ("assistant", "delegate"), "suspend": ("status", "deactivate"), "unsuspend": ("status", "activate"),
    "offboard": ("delete", "user"), "departing": ("delete", "user"), "hire": ("user", "create"),
    "onboard": ("create", "user"), "require": ("update", "setting"), "enforce": ("update", "setting"),
    "watched": ("analytics",), "watch": ("analytics",), "viewer": ("analytics",), "viewers": ("analytics",),
    "booking": ("schedule",), "appointment": ("event", "schedule"), "appointments": ("event", "schedule"),
    "latest": ("list",), "newest": ("list",), "stop": ("control", "status"), "whoami": ("user",),
    "identity": ("user",), "authenticated": ("user",), "connection": ("user",), "todo": ("task",),
    "reject": ("status", "update", "deny"), "decline": ("status", "update", "deny"), "accept": ("status", "approve"),
    "reserve": ("reservation", "create"), "remind": ("reminder", "create"), "reminder": ("reminder",),
    "access": ("access", "collaborator", "share"), "pdf": ("file",), "attachment": ("file", "attachment"),
    "rep": ("user",), "displayname": ("user", "profile"), "accountwide": ("account",),
    "helpdesk": (), "conference": ("event", "meeting"),
    # what Zoom calls by another name: a wrap-up code is a disposition, a phone tree an IVR...
    "wrapup": ("disposition",), "holiday": ("closure",), "closure": ("closure",), "pmi": ("pmi", "user"),
    "license": ("user", "type", "license"), "licensed": ("user", "type", "license"), "spend": ("charge", "billing"),
    "cost": ("charge", "billing"), "costs": ("charge", "billing"), "howlong": ("duration", "past", "detail"),
    "mention": ("search",), "mentioning": ("search",), "containing": ("search",), "dm": ("send", "message", "chat"),
    "notify": ("send", "notification", "message"), "announce": ("send", "message"), "ping": ("send", "message"),
    "unused": ("unassigned",), "retain": ("retention",), "kick": ("remove",), "boot": ("remove",),
    "offline": ("status",), "online": ("status",), "handover": ("transfer", "owner"), "actionitem": ("summary",),
    "takeaways": ("summary",), "highlights": ("summary",), "choppy": ("qos",), "laggy": ("qos",), "lag": ("qos",),
    "freezing": ("qos",), "echo": ("qos",), "greeting": ("ivr", "greeting"), "phonetree": ("ivr", "receptionist"),
    "spammer": ("block",), "robocall": ("block",), "telemarketer": ("block",),
    "international": ("outbound", "country", "region"), "clock": ("time", "sheet", "timecard"),
    "sponsor": ("exhibitor", "sponsor"), "booth": ("exhibitor",), "webhook": ("webhook", "event", "subscription"),
    "transcribe": ("transcript",), "transcription": ("transcript",),
    # a change said by what replaces what, dial-in numbers are in the invitation, a seat is a license
    "insteadof": ("update",), "dialin": ("invitation",), "thumbsup": ("react", "reaction", "emoji"),
    "emailaddress": ("email",), "nudge": ("reminder", "create"), "seat": ("license", "user", "type"), "surname": ("user", "name"),
}

# Everyday verbs for the four things an action does: each stands for its family's catalog verb and
# votes for that intent ("bump the retro", "kill the budget meeting", "spin up a webinar", "grab the notes").
_EVERYDAY_VERBS = {
    "update": ("bump", "shift", "delay", "slide", "extend", "shorten", "tweak", "adjust", "fix", "correct",
               "swap", "switch", "lock", "unlock", "limit", "restrict", "prevent", "allow", "upgrade", "downgrade"),
    "delete": ("kill", "scrap", "ditch", "nuke", "scratch", "axe", "drop", "wipe", "release", "kick", "boot"),
    "create": ("spin", "issue", "draft", "launch", "put"),
    "read": ("grab", "pull", "fetch", "view", "look", "lookup", "inspect"),
}
_FAMILY_VERB = {"update": ("update",), "delete": ("delete", "remove"), "create": ("create", "add"), "read": ()}
for _kind, _words_of in _EVERYDAY_VERBS.items():
    for _word in _words_of:
        SYNONYMS.setdefault(_word, _FAMILY_VERB[_kind])
del _word

# Words that stand only for their expansions: in Zoom's texts they mean
# something else ("sync" is call-log synchronisation, "move" a member move).
ALIASES = {"emailaddress", "sync", "standup", "huddle", "catchup", "move", "reschedule", "postpone", "push", "interview",
           "allhands", "kickoff", "retro", "townhall", "callout", "attend", "attended", "attendee", "attendance", "joined", "last", "previous",
           "yesterday", "coming", "who", "employee", "person", "people", "colleague", "teammate", "staff",
           "left", "signed", "recap", "notes", "minutes", "ai", "photo", "avatar", "spam", "restart",
           "attendant", "quality", "jitter", "latency", "texts", "text", "usage", "storage", "audit",
           "answer", "answered", "showedup", "absent", "book", "oneonone", "speaker", "presenter", "youtube",
           "broadcast", "agent", "agents", "own", "department", "team", "division", "available", "busy",
           "away", "disturb", "dnd", "running", "ended", "finished", "already", "share", "listen", "viewed",
           "downloaded", "views", "exists", "whether", "office", "hardware", "handset", "deskphone",
           "missed", "listened", "heard", "flag", "behalf", "suspend", "unsuspend", "offboard", "departing", "hire",
           "onboard", "watched", "watch", "viewer", "viewers", "appointment", "appointments", "latest", "newest",
           "whoami", "identity", "authenticated", "connection", "todo", "noshow", "reserve", "remind", "rep",
           "displayname", "accountwide", "helpdesk", "conference", "reject", "decline"}
# ...and so do the everyday verbs, what people call their meetings and the other names of Zoom's things
ALIASES |= {w for words in _EVERYDAY_VERBS.values() for w in words} | {
    "meetup", "review", "demo", "briefing", "workshop", "class", "lecture", "seminar", "crit", "officehours",
    "qbr", "offsite", "brainstorm", "debrief", "onsite", "registrationform", "wrapup", "holiday", "howlong",
    "mention", "mentioning", "containing", "unused", "offline", "online", "handover", "actionitem", "takeaways",
    "highlights", "insteadof", "dialin", "thumbsup", "nudge", "seat", "surname", "choppy", "laggy", "lag", "freezing", "echo", "phonetree", "spammer", "robocall",
    "telemarketer", "international", "clock", "booth", "spend", "cost", "costs", "licensed"}

_OWNER = {"my", "mine", "i", "me", "myself"}

# Verb families: what the task wants to do, and the action-name verbs that do it.
_VERBS = {
    "read": {"get", "list", "check", "download", "sync"},
    "create": {"create", "add", "enable", "assign", "upload", "perform", "batch", "duplicate", "send", "insert",
               "invite", "generate", "import", "share", "grant", "promote", "schedule", "post", "start", "use"},
    "update": {"update", "change", "set", "use", "mark", "assign", "recover", "reboot", "upgrade", "activate",
               "patch", "modify", "edit", "transfer", "move", "rotate", "control"},
    "delete": {"delete", "remove", "unassign", "revoke"},
}
_INTENT_WORDS = {
    "read": {"who", "what", "which", "show", "list", "get", "see", "find", "look", "fetch", "view",
             "details", "detail", "how", "is", "are", "download", "listen", "check", "whether", "read", "whoami"},
    "create": {"create", "schedule", "book", "add", "new", "register", "setup", "make", "invite", "signup",
               "upload", "save", "give", "let", "block", "send", "post", "share", "assign", "grant", "publish",
               "import", "export", "dm", "post", "onboard", "hire", "reserve", "remind", "notify", "announce",
               "ping"},
    "update": {"move", "reschedule", "change", "edit", "rename", "update", "modify", "enable", "disable",
               "turn", "set", "reset", "approve", "deny", "mark", "end", "restore", "deactivate", "restart",
               "postpone", "transfer", "rotate", "pause", "stop", "resume", "suspend", "flag", "require",
               "forward", "reject", "decline", "accept", "start", "begin", "mute", "unmute", "admit", "insteadof"},
    "delete": {"delete", "cancel", "remove", "erase", "purge", "drop", "deactivate", "offboard", "trash"},
}
for _kind, _words_of in _EVERYDAY_VERBS.items():
    _INTENT_WORDS[_kind] |= set(_words_of)
del _kind, _words_of


def _by_stem(words):
    return {stem(w) for w in words}


def _stem_keys(mapping: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for word, syns in mapping.items():
        key = stem(word)
        out[key] = tuple(dict.fromkeys(out.get(key, ()) + tuple(stem(s) for s in syns)))
    return out


_FIELD_WEIGHTS = {"name": 3.0, "title": 2.5, "tags": 1.5, "short": 1.5, "path": 1.2, "params": 0.4,
                  "ops": 1.2, "desc": 0.5, "fields": 0.15, "phrases": 1.0}
_UNMEASURED = {"fields", "phrases"}   # a settings body's hundred names: matched, but not counted in the length
_K1, _B = 1.2, 0.6
_DASHBOARD_FACTOR = 0.8   # a task that does not ask for the dashboard wants the meeting's own action
_DASHBOARD_WORDS = {"dashboard", "metric", "qos", "quality", "health", "crc"}
_RESCORED = 150     # candidates whose raw BM25 score is refined by the task's verb and the name
_NAMED_ALIAS = 0.6  # the literal weight of an alias that names actions
_SAID_VERB = 1.25  # an action whose verb is among the task's first words
_NAME_BONUS = 1.0  # a name whose every word the task mentions scores up to twice as much
_TOKEN = re.compile(r"[a-z0-9]+")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Zoom writes some words both joined and apart; the index and the tasks use one spelling.
_PUNCTUATED = (("q&a", " qa "), ("h.323", " h323 "), ("e-mail", "email"), ("1:1", " oneonone "),
               ("didn't", "did not"), ("don't", "do not"), ("can't", "can not"), ("won't", "will not"),
               ("n't", " not"))   # "aren't assigned", "isn't on the list": a negation, not a word "aren"
_JOINED_SPELLINGS = {
    "subaccount": ("sub account", "sub accounts"), "livestream": ("live stream", "live streams", "live streaming"),
    "voicemail": ("voice mail", "voice mails"), "whiteboard": ("white board", "white boards"),
    "signup": ("sign up", "signed up"), "setup": ("set up",), "allhands": ("all hands",),
    "dnd": ("do not disturb",), "dnc": ("do not call",),
    "noshow": ("never showed up", "never show up", "did not show up", "not show up", "no show", "no shows",
               "never showed", "never attended", "did not attend", "did not join", "never joined"),
    "showedup": ("showed up", "show up"), "oneonone": ("one on one",), "addressbook": ("address book", "address books"),
    "waitingroom": ("waiting room", "waiting rooms"), "unassigned": ("not assigned",),
    "callout": ("call out", "calling out"), "townhall": ("town hall", "town halls"), "kickoff": ("kick off",),
    "sms": ("text message", "text messages"), "zoomroom": ("zoom room", "zoom rooms"),
    # "check that my connection works": the cheapest call that proves it is the caller's own user
    "whoami": ("who am i", "signed in as", "logged in as", "authenticated as", "connection works",
               "connection is working", "connection working", "credentials work", "credentials are working",
               "token works", "token is working"),
    "signin": ("sign in", "signed in", "log in", "logged in"), "signout": ("sign out", "signed out", "log out", "logged out"),
    "todo": ("to do", "to dos"), "cancel": ("call off",), "postpone": ("push back", "move back"),
    "delete": ("get rid of",), "reject": ("turn down",), "insteadof": ("instead of", "rather than"),
    "dialin": ("dial in",), "thumbsup": ("thumbs up", "thumb up"), "currently": ("at the moment", "at this moment", "right now", "going on now", "happening now"),
    "helpdesk": ("help desk", "service desk", "front desk"), "displayname": ("display name",),
    "accountwide": ("account wide", "across the account", "company wide", "across the company", "org wide",
                    "organization wide", "across our account", "for the whole account", "for everyone in the account",
                    "whole company", "entire company", "entire account", "everyone in the company",
                    "everyone at the company", "everyone in the org", "everyone in our company"),
    "registrationform": ("sign up form", "signup form", "registration form", "sign up page", "registration page"),
    "coeditor": ("co editor", "co editors"), "handover": ("hand over", "hands over", "handing over"),
    "actionitem": ("action item", "action items", "next steps", "key points", "key takeaways"),
    "invitation": ("invite text", "invitation text", "invite email"), "howlong": ("how long",),
    "pmi": ("personal meeting id", "personal meeting ids"), "wrapup": ("wrap up", "wrap ups"),
    "phonetree": ("phone tree", "phone menu"), "officehours": ("office hours",),
    "ongoing": ("going on", "in progress", "underway", "under way"),
}
_PHRASES = {tuple(spelling.split()): joined for joined, spellings in _JOINED_SPELLINGS.items() for spelling in spellings}
_LONGEST_PHRASE: dict[str, int] = {}
for _phrase in _PHRASES:
    _LONGEST_PHRASE[_phrase[0]] = max(_LONGEST_PHRASE.get(_phrase[0], 0), len(_phrase))
del _phrase


def _join_phrases(words: list[str]) -> list[str]:
    if not any(w in _LONGEST_PHRASE for w in words):
        return words
    out: list[str] = []
    i = 0
    while i < len(words):
        longest = _LONGEST_PHRASE.get(words[i], 0)
        for n in range(min(longest, len(words) - i), 1, -1):
            joined = _PHRASES.get(tuple(words[i:i + n]))
            if joined is not None:
                out.append(joined)
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


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
    text = text or ""
    if "@" in text:
        text = _EMAIL.sub(" emailaddress ", text)
    if not text.islower():
        text = _CAMEL.sub(" ", text)
    text = text.lower().replace("'s", "").replace("\u2019s", "")
    for spelled, joined in _PUNCTUATED:
        if spelled in text:
            text = text.replace(spelled, joined)
    words = _join_phrases(_TOKEN.findall(text))
    return [_stem(w) for w in words if keep_stop or w not in _STOP]


# the stop words as the query's stemmed words spell them ("does" is "doe")
_STOP |= {stem(word) for word in _STOP}

_stems: dict[str, str] = {}


def _stem(word: str) -> str:
    s = _stems.get(word)
    if s is None:
        s = _stems[word] = stem(word)
    return s


def _fields(name: str, entry: dict, seen: dict[str, list[str]], extra: dict | None = None) -> dict[str, list[str]]:
    params: list[str] = []
    for flat in entry.get("parameters") or ():
        words = seen.get(flat)
        if words is None:   # parameter names repeat across actions (page_size, next_page_token...)
            words = seen[flat] = tokens(flat.replace("__", " ").replace("_", " "))
        params += words
    path = entry.get("path", "")
    return {
        "name": tokens(name.removeprefix("ZOOM_").replace("_", " ")),
        "title": tokens(entry.get("title") or ""),
        "tags": tokens(" ".join(entry.get("tags") or ())),
        "short": tokens(entry.get("short_description") or ""),
        "path": tokens(re.sub(r"\{[^}]*\}", " ", path).replace("/", " ").replace("_", " ")),
        "params": params,
        "ops": tokens((extra or {}).get("operations") or ""),
        "desc": tokens((extra or {}).get("description") or ""),
        "fields": tokens((extra or {}).get("fields") or ""),
        "phrases": [w for phrase in (extra or {}).get("phrases") or () for w in phrase_tokens(phrase)],
    }


_phrase_cache: dict[str, tuple[str, ...]] = {}


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """A phrasebook phrase's tokens, once per distinct phrase (a master-account twin repeats its twin's)."""
    found = _phrase_cache.get(phrase)
    if found is None:
        found = _phrase_cache[phrase] = tuple(tokens(phrase))
    return found


def _field_words(fields: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    out = {"named": frozenset(fields["name"] + fields["title"]), "short": frozenset(fields["short"]),
           "desc": frozenset(fields["desc"]), "path": frozenset(fields["path"]), "ops": frozenset(fields["ops"]),
           "params": frozenset(fields["params"]), "phrases": frozenset(fields["phrases"])}
    out["any"] = frozenset().union(*out.values())
    return out


class LexicalIndex:
    """BM25F posting lists over one catalog: ``postings[word]`` holds
    (action position, the word's BM25 weight in that action)."""

    def __init__(self, catalog, names: list[str], extras: dict[str, dict] | None = None) -> None:
        self.verbs: list[str] = []
        self.verb_stems: list[str] = []
        self.name_words: list[frozenset[str]] = []
        self.words: list[dict[str, frozenset[str]]] = []   # per field, for the re-ranker (``zoom_actions.rerank``)
        self.phrase_words: list[tuple[frozenset[str], ...]] = []   # per phrasebook phrase, for the re-ranker too
        self.dashboard: list[bool] = []   # /metrics/...: the account dashboard's view of the same facts
        self.item: list[bool] = []        # works on one thing (/meetings/{id}), not on a collection
        self.on_meeting: list[bool] = []  # works on one meeting or webinar (/past_meetings/{meetingId}/polls)
        self.caller_only: list[bool] = []  # works for the caller alone (/users/me/zak), for nobody the task names
        weighted_docs: list[dict[str, float]] = []
        unmeasured_lengths: list[float] = []
        df: Counter = Counter()
        seen: dict[str, list[str]] = {}
        for name in names:
            entry = catalog.entry(name)
            fields = _fields(name, entry, seen, (extras or {}).get(name))
            weighted: dict[str, float] = defaultdict(float)
            for field, words in fields.items():
                w = _FIELD_WEIGHTS[field]
                for word in words:
                    weighted[word] += w
            weighted_docs.append(weighted)
            unmeasured_lengths.append(sum(_FIELD_WEIGHTS[f] * len(fields[f]) for f in _UNMEASURED))
            df.update(weighted.keys())
            self.verbs.append(name.split("_")[1].lower() if "_" in name else "")
            self.verb_stems.append(stem(self.verbs[-1]))
            # the name's words but its verb ("get" is a stop word: GET_PAST_MEETING_PARTICIPANTS keeps "past")
            said_verb = fields["name"][:1] == tokens(self.verbs[-1])
            self.name_words.append(frozenset(fields["name"][1 if said_verb else 0:]) or frozenset(fields["name"]))
            self.words.append(_field_words(fields))
            self.phrase_words.append(tuple(frozenset(phrase_tokens(p))
                                           for p in ((extras or {}).get(name) or {}).get("phrases") or ()))
            self.dashboard.append(entry.get("path", "").startswith("/metrics/"))
            self.item.append(_on_one(entry.get("path", "")))
            self.on_meeting.append(bool(_MEETING_PARAM.search(entry.get("path", ""))))
            self.caller_only.append("/me/" in entry.get("path", "") + "/")
        n = len(names)
        lengths = [sum(d.values()) - unmeasured for d, unmeasured in zip(weighted_docs, unmeasured_lengths)]
        avg = (sum(lengths) / n) if n else 1.0
        idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for i, (doc, length) in enumerate(zip(weighted_docs, lengths)):
            norm = _K1 * (1 - _B + _B * length / avg)
            for word, f in doc.items():
                docs, vals = postings.setdefault(word, ([], []))
                docs.append(i)
                vals.append(idf[word] * f * (_K1 + 1) / (f + norm))
        self.postings = postings
        self.name_vocabulary = frozenset().union(*self.name_words) if self.name_words else frozenset()

    def score(self, query: str, allowed: set[int] | None = None) -> dict[int, float]:
        """Action position -> lexical score, for the actions that share a word with the task."""
        raw = rewrite(tokens(without_values(query), keep_stop=True))
        intent = _intent(raw)
        terms = query_terms(raw, self.name_vocabulary, acts_at_once(query, intent))
        if names_someone(query):   # an address names a person: their user
            terms["user"] = max(terms.get("user", 0.0), 0.6)
        asks_dashboard = bool(_DASHBOARD_WORDS & set(raw))
        synonyms, _, _, verbs = _lookups()
        plural = plurals(query)
        if plural:   # "appointments" are events: the collection of what the word stands for
            plural |= {syn for word in plural for syn in synonyms.get(word, ())}
        one = names_one(query)
        occasion = names_an_occasion(query)
        many = not one and bool(_MANY_WORDS & set(raw))
        said = set(raw[:3])
        for word in raw[:3]:   # "post a message" says "send", "cancel the call" says "delete"
            if any(word in verbs[kind] for kind in ("create", "update", "delete")):
                said |= set(synonyms.get(word, ()))
        acc: dict[int, float] = defaultdict(float)
        for term, qw in terms.items():
            posting = self.postings.get(term)
            if posting is not None:
                for i, v in zip(*posting):
                    acc[i] += qw * v
        if allowed is not None:
            acc = {i: s for i, s in acc.items() if i in allowed}
        if len(acc) > _RESCORED:   # the verb and name factors change an order by 3x at most: only the head needs them
            acc = {i: acc[i] for i in heapq.nlargest(_RESCORED, acc, key=acc.__getitem__)}
        out: dict[int, float] = {}
        for i, s in acc.items():
            if intent:
                s *= _verb_factor(self.verbs[i], intent)
            if self.verb_stems[i] in said:   # "send a message", "remove Pat": the task's own verb
                s *= _SAID_VERB
            if self.dashboard[i] and not asks_dashboard:
                s *= _DASHBOARD_FACTOR
            words = self.name_words[i]
            if plural and not plural.isdisjoint(words):   # "the registrants", "my voicemails": the collection
                s *= _ITEM_OF_PLURAL if self.item[i] else _COLLECTION_OF_PLURAL
            elif one and self.item[i]:   # "meeting 81234567890": that one meeting
                s *= _ONE_NAMED
            elif many and not _PEOPLE.isdisjoint(words):   # "who registered", "how many signed up": the list
                s *= _ITEM_OF_MANY if self.item[i] else _COLLECTION_OF_MANY

            if occasion and self.on_meeting[i]:   # "this morning's sync": what is known of that one meeting
                s *= _ONE_OCCASION
            hit = sum(1 for w in words if w in terms)
            out[i] = s * (1 + _NAME_BONUS * hit / max(len(words), 1))
        return out


_LOOKUPS: tuple | None = None
_COLLECTION_OF_PLURAL = 1.15   # a task that names things in the plural wants the collection's action...
_ITEM_OF_PLURAL = 0.85         # ...rather than the one that works on one of them


_ONE_OCCASION = 1.15   # "yesterday's standup": one meeting, named by when
_MEETING_PARAM = re.compile(r"\{(?:meetingId|meetingUUID|webinarId)\}")
_ONE_NAMED = 1.2               # a task that gives an ID wants the action on that one thing
_MANY_WORDS = {"who", "which", "many", "every", "all", "list"}   # "who attended", "how many", "every meeting"
# the people an action lists: asked for with "who", whatever the grammatical number
_PEOPLE = {"participant", "registrant", "member", "user", "attendee", "panelist", "absentee", "agent",
           "collaborator", "assistant", "admin", "administrator", "host", "speaker", "supervisor", "delegate"}
_COLLECTION_OF_MANY = 1.1
_ITEM_OF_MANY = 0.9
_ID = re.compile(r"(?<![\w@.:-])(?:\d{3,}|[A-Za-z0-9+/_-]{16,}={0,2}|[A-Za-z0-9+/]{10,}==)(?![\w@.-])")


_MANY = ("history", "log", "activit", "data", "analytics", "usage", "metric", "content", "archive", "report")


def _on_one(path: str) -> bool:
    """Whether a path works on one thing: ``/meetings/{id}``, or a singular part of one
    (``/meetings/{id}/meeting_summary``, ``/webinars/{id}/survey``), not a collection."""
    segments = [s for s in path.strip("/").split("/") if s]
    if not segments:
        return False
    if segments[-1].startswith("{"):
        return True
    last = segments[-1].lower()
    return (len(segments) > 1 and segments[-2].startswith("{") and not last.endswith("s")
            and not any(word in last for word in _MANY))


def names_one(query: str) -> bool:
    """Whether the task gives an identifier: a meeting number, a UUID (not a time, not an address, not a
    count: "add 200 prospects")."""
    counts = set(_counts(query))
    return any(any(c.isdigit() for c in m) and m not in counts for m in _ID.findall(query))


def names_someone(query: str) -> bool:
    """Whether the task names a person by email address."""
    return "@" in query and bool(_EMAIL.search(query))


def names_an_occasion(query: str) -> bool:
    """Whether the task names one meeting by when it happens: "this morning's sync", "last week's standup",
    "yesterday's all-hands", "Monday's board call"."""
    return bool(_OCCASION.search(query))


_WHEN = ("yesterday|today|tomorrow|tonight|last night|this morning|this afternoon|this evening|last week|"
         "this week|next week|last month|monday|tuesday|wednesday|thursday|friday|saturday|sunday")
_OCCASION = re.compile(r"\b(?:" + _WHEN + r")['\u2019]s\s+(?:[\w:-]+\s+){0,3}?"
                       r"(?:meeting|sync|standup|stand-up|call|all-hands|review|demo|interview|retro|1:1|"
                       r"one-on-one|kickoff|huddle|town hall|webinar|session|class|training|briefing)\b", re.I)


def scope_of_meetings(query: str) -> str | None:
    """Whether the task is about one meeting ("one": "meeting 812...", "the weekly sync", "my 3pm
    interview", "yesterday's standup") or about meetings in general ("every": "every meeting in the group",
    "all my future meetings"): a meeting's own action, or a setting of the user, group or account."""
    if _EVERY_MEETING.search(query):
        return "every"
    if names_one(query) or names_an_occasion(query) or _ONE_MEETING.search(query):
        return "one"
    return None


_MEETING_NOUN = (r"(?:meeting|sync|standup|stand-up|call|all-hands|review|demo|interview|retro|1:1|one-on-one|"
                 r"kickoff|huddle|town hall|webinar|session|class|training|briefing|planning)")
_ONE_MEETING = re.compile(r"\b(?:the|my|our|this|that|his|her|their|tomorrow's|today's)\s+(?:[\w:-]+\s+){0,3}?"
                          + _MEETING_NOUN + r"(?!s)\b", re.I)
_EVERY_MEETING = re.compile(r"\b(?:every|all|each|any)\s+(?:of\s+)?(?:[\w'-]+\s+){0,2}?" + _MEETING_NOUN
                            + r"s?\b|\b(?:future|upcoming|new)\s+" + _MEETING_NOUN + r"s\b", re.I)


def counts_many(query: str) -> bool:
    """Whether the task acts on many things at once: "add 200 prospects", "delete these 30 emails",
    "... in one go", "in bulk"."""
    return any(int(n) > 1 for n in _counts(query)) or bool(_AT_ONCE.search(query))


def without_values(query: str) -> str:
    """The task without the new name it gives, which says nothing of the action ("rename meeting
    84455667788 to Roadmap Planning"). A quoted text stays: what it is says what the action makes
    ("put 'dentist Friday 4pm' on my calendar" is an event)."""
    return _URL.sub(" url ", _PREFIXED_ID.sub(r"\1", _NEW_NAME.sub(r"\1", query)))


# "rtmp://live.example.com/app": an address is a URL, its host's words ("live") no words of the task
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)


# "channel c_design", "room r_19", "schedule sch_12": an identifier whose words are no words of the task
_PREFIXED_ID = re.compile(r"(?<![\w@.:/-])([A-Za-z]{1,3})_[A-Za-z0-9][\w-]*")


# "rename X to ...", "retitle X as ...", "change the title to ..." ("the meeting named Roadmap" is no new name)
_NEW_NAME = re.compile(r"\b((?:rename|retitle)\b.*?\b(?:to|as)|(?:change|set|update)\s+(?:the\s+|its\s+)?"
                       r"(?:name|title|topic)\b.*?\bto)\s+.*$", re.I)


def acts_at_once(query: str, intent: str | None) -> bool:
    """Whether the task, whose ``intent_of`` is ``intent``, changes many things at once (``counts_many``,
    and not a read: "list the 5 newest recordings" wants no batch action)."""
    return intent in ("create", "update", "delete") and counts_many(query)


def _counts(query: str) -> list[str]:
    """The numbers that count things ("200 prospects", "30 old emails"), not those that name one
    ("meeting 123 participants")."""
    return [m.group(2) for m in _COUNT.finditer(query) if (m.group(1) or "").lower() not in _NAMING]


_COUNT = re.compile(r"(?:([a-z#]+)\s+)?(?<![\w+.-])(\d{1,5})\s+(?:[a-z-]+\s+){0,2}?(?:[a-z]{3,}s|people)\b", re.I)
_NAMING = {"meeting", "webinar", "id", "#", "number", "session", "room", "call", "queue", "ticket", "no"}
_AT_ONCE = re.compile(r"\b(?:in one go|in one shot|at once|all at the same time|in bulk|in a batch|bulk|batch)\b", re.I)


def plurals(query: str) -> set[str]:
    """The stems of the words a task says in the plural ("registrants" -> "registrant")."""
    out = set()
    within = False   # "a conference with several sessions" asks for the conference
    every = 0        # "every recording file": as many as "the recording files"
    for word in _TOKEN.findall(query.lower()):
        if word == "with":
            within = True
        elif within and word in _COMPANION_END:
            within = False
        elif word in ("every", "each"):
            every = 2
            continue
        elif not within and every and word not in _STOP and len(word) > 2:
            out.add(_stem(word))
        elif (not within and len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
              and word not in _STOP):
            out.add(_stem(word))
        every = max(every - 1, 0)
    return out



def _lookups():
    """SYNONYMS, ALIASES, time words and intent words keyed by their stems (built once)."""
    global _LOOKUPS
    if _LOOKUPS is None:
        intents = {kind: _by_stem(words) for kind, words in _INTENT_WORDS.items()}
        _LOOKUPS = (_stem_keys(SYNONYMS), _by_stem(ALIASES), _by_stem(_TIME), intents)
    return _LOOKUPS


_ARTICLES = {"a", "an", "the", "this", "that", "my", "our", "your", "his", "their"}
_META_VERBS = {"check", "verify", "confirm", "ensure", "test"}   # "check that ...": the rest says what
_CLAUSE = {"that", "if", "whether"}
_CAUSATIVE = {"make", "get", "have", "let", "help"}
_UPDATING = {"require", "use", "start", "stop", "end", "expire", "allow", "show", "hide", "mute", "unmute"}
_ADDING = {"add", "put", "invite", "bring", "include"}
_INTO = {"to", "into"}
_REMOVING = {"remove", "kick", "drop", "delete", "unassign", "boot"}
_ON_CALENDAR = {"on", "to", "in", "into", "from", "off"}
_OUT_OF = {"from", "of", "off"}
_COMPANION_END = {"to", "for", "in", "on", "at", "from", "by", "about", "into", "and"}
_COMPANION = 0.5   # "a call with the design team": who takes part, not what the action works on


def grammar(raw: list[str]) -> tuple[set[int], set[int], set[int]]:
    """Positions in ``raw`` (stems, stop words kept) of (verbs used as nouns: "post an update",
    meta verbs: "check that ...", companions: the words of a "with ..." phrase)."""
    nouns, meta, companions = set(), set(), set()
    within = False
    for i, word in enumerate(raw):
        before = raw[i - 1] if i else ""
        after = raw[i + 1] if i + 1 < len(raw) else ""
        if before in _ARTICLES and i > 1:   # "post an update", not a task that starts "the ..."
            nouns.add(i)
        if word in _META_VERBS and after in _CLAUSE:
            meta.add(i)
        if word in _CAUSATIVE and i == 0 and any(w in _UPDATING for w in raw[2:]):
            meta.add(i)   # "make the sync require a passcode": the later verb says what
        if word in _CAUSATIVE and after in ("me", "us"):
            meta.add(i)   # "let me see the poll results", "help us find": the next verb says what
        if word == "with":
            within = True
        elif within and word in _COMPANION_END:
            within = False
        elif within:
            companions.add(i)
    return nouns, meta, companions


_PARTICLES_OFF = {"off", "out", "away"}
_SEARCHING = {"find", "search", "look"}
_ABOUT = {"about", "mention", "contain", "named", "nam", "called", "titled", "match"}
_BEING = {"is", "are", "am", "be", "not", "was", "were"}
_STOPPING = {"stop", "prevent", "keep"}
_RESCHEDULING = {"push", "move", "bump", "shift", "slide", "delay", "postpone"}
_UNTIL = {"to", "until", "till", "by"}
_SENDING_NOUNS = {"email", "text", "sms", "message"}   # said first, before "the" or "them", they are verbs
_OBJECTS = {"him", "her", "them", "everyone", "everybody", "all"}
_ANYONE = {"anyone", "everyone", "everybody", "nobody", "people", "user", "participant", "attendee", "guest",
           "external", "signin", "only", "all"}


# what comes before the request itself: "can you please ...", "I'd like to ...", "hey, could you ..."
_PREAMBLE_WORDS = {"hey", "hi", "hello", "ok", "okay", "so", "please", "kindly", "can", "could", "would", "will",
                   "you", "i", "we", "d", "like", "want", "need", "have", "to", "go", "ahead", "and", "help", "me",
                   "us", "quickly", "just", "also", "now", "then"}
_PREAMBLE_ENDS = {"please", "you", "to", "and", "me", "us"}


def _without_preamble(raw: list[str]) -> list[str]:
    """``raw`` without the politeness before the request ("can you please cancel my meeting": "cancel my
    meeting", "I'd like to see who attended": "see who attended"). Only a run of such words that ends
    where a request starts is dropped ("help me find" keeps "find")."""
    end = 0
    for i, word in enumerate(raw[:6]):
        if word not in _PREAMBLE_WORDS:
            break
        if word in _PREAMBLE_ENDS:
            end = i + 1
    return raw[end:] if 0 < end < len(raw) else raw


def rewrite(raw: list[str]) -> list[str]:
    """A task's words (``tokens(..., keep_stop=True)``) with its request read for what it means: the
    politeness before it dropped, and verbs said in two parts read as the one they mean: "send me the
    invite" shows it, "take Maria off the panel" removes her, "let the channel know" sends it a message,
    "find the channel about X" searches, "let anyone with the link view it" and "stop everyone from
    sharing" change a setting, "is Lena allowed to" asks for her permissions."""
    out = _without_preamble(list(raw))
    if len(out) > 1 and out[0] in ("send", "email", "forward") and out[1] in ("me", "us"):
        out[0] = "show"   # "send me the invite text": the caller wants to read it, nothing is sent
    if out and out[0] == "take" and _PARTICLES_OFF & set(out[2:]):
        out[0] = "remove"
    if out and out[0] in ("let", "tell") and "know" in out[2:]:
        out[0] = "notify"
        out.remove("know")
    if out and out[0] in _SEARCHING and _ABOUT & set(out[2:]):
        out.append("search")
    for i, word in enumerate(out[:3]):
        if word == "let" and ("not" in out[:i] or _ANYONE & set(out[i + 1:i + 3])):
            # "let anyone with the link view it", "don't let the group record": a setting, on or off
            # ("let Maria schedule my meetings" grants Maria something: not this)
            out[i] = "disable" if "not" in out[:i] else "allow"
            out.append("setting")
            break
    if len(out) > 2 and out[0] == "give" and out[1] not in _ARTICLES and out[1] not in ("me", "us") \
            and out[2] in _ARTICLES:   # "give Raj the admin role", "give Tom a desk": assign it to them
        out[0] = "assign"
    elif len(out) > 1 and out[0] in _SENDING_NOUNS and out[1] in _ARTICLES | _OBJECTS | {"emailaddress"}:
        out.insert(0, "send")   # "email the contract to legal", "email bob@acme.com that ...": a verb
    if out and out[0] == "sign" and "up" in out[2:4]:   # "sign Priya up for the session": register her
        out[0] = "register"
    elif out and out[0] == "lock" and "out" in out[2:4]:   # "lock Jason out of Zoom": suspend him
        out[0] = "suspend"
    if out and out[0] == "kickoff":   # "kick off the campaign" starts it (a "kickoff" elsewhere is a meeting)
        out[0] = "start"
    elif out and out[0] == "shut" and "down" in out[1:5]:   # "shut the meeting down": end it
        out[0] = "end"
    elif len(out) > 1 and out[0] == "go" and out[1] == "live":   # "go live with the new flow": start, publish
        out[:2] = ["start", "publish"]
    time_words = _lookups()[2]
    for i, word in enumerate(out[:3]):   # "push the 1:1 to next week", "move tomorrow's sync to 4pm": a new time
        if word in _RESCHEDULING and any(
                w in _UNTIL and any(t in time_words or t == "next" or _TIME_RE.match(t) for t in out[j + 1:j + 4])
                for j, w in enumerate(out[i + 2:], i + 2)):
            out[i] = "reschedule"
            break
    if out and out[0] in _STOPPING and "from" in out[2:]:   # "stop everyone from sharing their screen"
        out[0] = "disable"
        out.append("setting")
    for i in range(1, len(out) - 1):
        if out[i] == "allow" and out[i + 1] in ("to", "todo") and _BEING & set(out[max(0, i - 3):i]):
            out[i] = "permission"
            if out[i + 1] == "todo":   # "allowed to do": no to-do list
                out[i + 1] = "to"
    return out


def _adds_to_container(raw: list[str], into: set[str] = _INTO) -> bool:
    """ "... to the channel", "... into the group" (not "... to Zoom", which is the whole account)."""
    for i, word in enumerate(raw[:-1]):
        if word in into and raw[i + 1] in _ARTICLES:   # "to the channel", not "to follow up"
            rest = [w for w in raw[i + 1:i + 4] if w not in _ARTICLES]
            if rest and rest[0] not in _STOP:
                return True
    return False


_BATCH = ("batch", "bulk", "multiple")


def query_terms(raw: list[str], named: frozenset[str] = frozenset(), many_at_once: bool = False) -> dict[str, float]:
    """The task's words (stems) and their synonyms, each with its query weight. An alias that
    is also a word of some action's name (``named``: "team", "agent", "note" in Contact
    Center, "move" in Mail) keeps a share of its literal weight. A verb used as a noun ("post
    an update") keeps half its literal weight and none of its synonyms; "check that" is no
    verb at all; the words of a "with ..." phrase weigh half (they say who, not what)."""
    synonyms, aliases, time_words, intents = _lookups()
    verbs = intents["create"] | intents["update"] | intents["delete"]   # "the details" stays a noun's weight
    nouns, meta, companions = grammar(raw)
    relative = _relative(raw)
    # "who registered but never showed up": what follows "but" tells the people apart; what precedes
    # says what they have in common
    contrast = raw.index("but") if "but" in raw[2:] else 0
    terms: dict[str, float] = defaultdict(float)
    for pos, word in enumerate(raw):
        if pos in meta:
            continue
        scale = _COMPANION if pos in companions or pos < contrast else 1.0
        as_noun = pos in nouns and word in verbs
        if word in _STOP or word in time_words or _TIME_RE.match(word):
            pass
        elif as_noun:
            terms[word] = max(terms[word], 0.5 * scale)
            continue
        elif word not in aliases:
            terms[word] = max(terms[word], scale)
        elif word in named:
            terms[word] = max(terms[word], _NAMED_ALIAS * scale)
        described = pos in relative   # "who registered": the people, not a registration to make
        for syn in synonyms.get(word, ()):
            if not (described and syn in _CATALOG_VERBS):
                terms[syn] = max(terms[syn], (0.8 if word in aliases else 0.6) * scale)
        if word in _OWNER:
            terms["user"] = max(terms["user"], 0.3)  # "my ..." leans to the user-level action
    if many_at_once:   # "add 200 prospects", "delete these 30 emails in one go": the batch action
        for word in _BATCH:
            terms[word] = max(terms.get(word, 0.0), 0.5)
    if _ADDING & set(raw) and _adds_to_container(raw):   # "add Leo and Ana to the channel": its members
        terms["member"] = max(terms["member"], 0.5)
    if raw and raw[0] in _REMOVING and _adds_to_container(raw, _OUT_OF):   # "remove Ben from the group"
        terms["member"] = max(terms["member"], 0.5)
    for i, word in enumerate(raw[:-2]):   # "what's on my calendar", "add lunch to my calendar": its events
        if word in _ON_CALENDAR and raw[i + 1] in _ARTICLES and raw[i + 2] == "calendar":
            terms["event"] = max(terms["event"], 0.5)
    return dict(terms)


_RELATIVE = {"who", "that", "which", "whom"}
_ASKING = {"what", "which", "who", "whom", "how", "when", "where"}
_DID = {"did", "doe", "do", "have", "has", "had"}   # stems ("does": "doe")
_CATALOG_VERBS = {v for family in _VERBS.values() for v in family}


def _relative(raw: list[str]) -> set[int]:
    """Positions of the verbs of relative clauses ("people who registered", "users that joined"): they
    describe what the task is about; the task's own verb is elsewhere."""
    out = {i for i in range(1, len(raw)) if raw[i - 1] in _RELATIVE}
    if raw and raw[0] in _ASKING:   # "what did people post", "which files did Bob share": what happened
        for i, word in enumerate(raw[:4]):
            if word in _DID:
                out |= {j for j in range(i + 1, min(i + 4, len(raw))) if raw[j] not in _STOP}
                break
    return out


def intent_of(raw: list[str]) -> str | None:
    """What a task (its ``tokens(..., keep_stop=True)``) asks to do: "read", "create", "update", "delete",
    "implicit-read" (a bare noun phrase) or None (undecided)."""
    return _intent(raw)


def verb_agreement(verb: str, intent: str) -> float:
    """How well an action's verb does what the task asks (a factor around 1)."""
    return _verb_factor(verb, intent)


def _intent(words: list[str]) -> str | None:
    vocab_by_kind = _lookups()[3]
    nouns, meta, _ = grammar(words)
    relative = _relative(words)
    votes: Counter = Counter()
    for pos, word in enumerate(words):
        if pos in nouns or pos in meta or pos in relative:
            continue
        if pos and (words[pos - 1] in _BE or word in _BE):   # "the center is closed", "which were deleted":
            continue                                           # a state, no command ("is Ana free?" asks)
        if word == "give":  # "give me X" reads X; "give X to Y" assigns it
            votes["read" if pos + 1 < len(words) and words[pos + 1] in ("me", "us") else "create"] += 2 if pos == 0 else 1
            continue
        for kind, vocab in vocab_by_kind.items():
            if word in vocab:
                votes[kind] += 2 if pos == 0 else 1
    if not votes:
        return "implicit-read"  # a bare noun phrase ("my recent phone calls") asks to see something
    (kind, top), *rest = votes.most_common()
    if rest and rest[0][1] == top:
        # a tie: the verb the task starts with, when it is one of the tied ("set up a weekly sync ... and
        # turn on the waiting room" creates a meeting)
        tied = {k for k, v in votes.items() if v == top}
        first = [k for k in tied if words and words[0] in vocab_by_kind[k]] if 0 not in nouns | meta else []
        return first[0] if len(first) == 1 else None
    return kind


def _verb_factor(verb: str, intent: str) -> float:
    if intent == "implicit-read":
        return 1.15 if verb in ("get", "list", "check") else 0.85
    if verb in _VERBS[intent]:
        return 1.35
    if intent == "read" and any(verb in _VERBS[k] for k in ("delete",)):
        return 0.55
    if intent != "read" and verb in _VERBS["read"]:
        return 0.75
    if intent == "read" and verb in _VERBS["create"]:
        return _READ_OF_CREATE   # "users who joined a session" creates no session
    return 0.9


_READ_OF_CREATE = 0.8
_BE = {"is", "are", "was", "were", "be", "been", "being"}
