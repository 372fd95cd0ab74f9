"""``search``: natural-language tasks -> action names, offline.

Seven hand-labeled sets: ``search_tasks.json`` (used while building the first,
lexical ranker) and ``search_tasks_heldout.json`` (written after it was
frozen), scored on the default selection; ``search_tasks_untouched.json``
(written before the hybrid ranker, never edited, read or tuned on since: only
its aggregate recall is ever printed), ``search_tasks_tuning.json`` (used to
tune the hybrid ranker), ``search_tasks_tuning2.json``,
``search_tasks_tuning3.json``, ``search_tasks_tuning4.json`` and
``search_tasks_tuning5.json`` and ``search_tasks_tuning6.json`` (each written
and measured before a round of tuning, then used for it; the re-ranker's
weights are fitted on the first four tuning sets), and three more blind sets,
``search_tasks_untouched2.json``, ``search_tasks_untouched3.json`` and
``search_tasks_untouched4.json``, scored in aggregate only; all but the first
two scored on the full catalog, every product and the master-account APIs
included."""

from __future__ import annotations

import json
import logging
import socket
import sys
from pathlib import Path

import pytest

from zoom_actions import embedding, rerank, search_documents
from zoom_actions.adapters.selection import select_names
from zoom_actions.lexical import (acts_at_once, counts_many, grammar, intent_of, names_an_occasion, names_one, plurals,
                                  query_terms, rewrite, without_values)
from zoom_actions.search import Index, index_for, named_products, search, stem, tokens

HERE = Path(__file__).parent
OLD_SETS = ("search_tasks.json", "search_tasks_heldout.json")
TUNING_SETS = ("search_tasks_tuning.json", "search_tasks_tuning2.json", "search_tasks_tuning3.json",
               "search_tasks_tuning4.json")   # the re-ranker is fitted on these; _tuning5 is read, not fitted on
READ_SETS = (*TUNING_SETS, "search_tasks_tuning5.json", "search_tasks_tuning6.json")
NEW_SETS = ("search_tasks_untouched.json", "search_tasks_untouched2.json", "search_tasks_untouched3.json",
            "search_tasks_untouched4.json", *READ_SETS)


def _tasks(file: str) -> list[dict]:
    return json.loads((HERE / file).read_text())["tasks"]


def _recall(catalog, file: str) -> tuple[float, float, int]:
    """Recall@1 and @5 as ``tk.search()`` ranks: the old sets over the default selection (every product but
    the master-account APIs), the new ones over the whole catalog or the products a task names."""
    default = "standard" if file in OLD_SETS else "all"
    tasks = _tasks(file)
    at1 = at5 = 0
    for task in tasks:
        names = select_names(catalog, products=task.get("products") or default)
        got = search(catalog, task["task"], k=5, names=names)
        at1 += bool(got) and got[0] in task["expect"]
        at5 += any(name in task["expect"] for name in got)
    return at1 / len(tasks), at5 / len(tasks), len(tasks)


def test_labeled_tasks_are_valid(catalog):
    products = set(catalog.products())
    seen: set[str] = set()
    for file in OLD_SETS + NEW_SETS:
        tasks = _tasks(file)
        texts = {t["task"] for t in tasks}
        assert len(texts) == len(tasks), file
        if file in NEW_SETS:
            assert len(tasks) >= 100 and not texts & seen, file   # the halves share no task
            seen |= texts
        for t in tasks:
            assert t["expect"] and all(name in catalog for name in t["expect"]), t
            assert set(t.get("products", ())) <= products, t
    assert len(_tasks("search_tasks.json")) >= 60


def test_recall_on_the_untouched_half_does_not_regress(catalog):
    """0.836 @1, 0.988 @5 after the sixth round (a third pass of phrases against each action's near
    siblings, a few more verbs said in two parts, negations; ``zoom_actions.search``: a task lost here, 3
    and 9 won on the other blind sets); 0.842, 0.988 after the fifth round (the task's grammar: a new time, a new name, a count, a
    meeting named by when it happens, a question about the past; ``zoom_actions.search``); 0.836, 0.988
    after the fourth round (the phrasebook, ``zoom_actions.phrasebook``: everyday
    phrasings of each action, matched by words and by meaning; the re-ranker refitted on four sets with a
    lighter penalty chosen by cross-validation; 0.801, 0.971 with the phrasebook's first pass alone, 0.830,
    0.977 with both passes at the old penalty); 0.754, 0.924 after the third round (on search_tasks_tuning3.json: everyday verbs, relative
    clauses, Zoom's other names for things, the re-ranker); 0.731, 0.889 after the second (on
    search_tasks_tuning2.json: action documents' operations and descriptions, the task's grammar, agents'
    vocabulary); 0.620, 0.813 once the hybrid ranker was frozen; the first, lexical ranker: 0.515, 0.713."""
    r1, r5, n = _recall(catalog, "search_tasks_untouched.json")
    print(f"\nsearch_tasks_untouched.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert r1 >= 0.82 and r5 >= 0.97


def test_recall_at_five_on_the_untouched_half_meets_the_target(catalog):
    _, r5, _ = _recall(catalog, "search_tasks_untouched.json")
    assert r5 >= 0.97


@pytest.mark.xfail(strict=True, reason="issue 15's recall@1 target is not met on the untouched half: 0.842 "
                   "(0.85 wanted)")
def test_recall_at_one_on_the_untouched_half_meets_the_target(catalog):
    r1, _, _ = _recall(catalog, "search_tasks_untouched.json")
    assert r1 >= 0.85


def test_recall_on_the_second_untouched_set(catalog):
    """A second blind set (157 tasks, half on meetings, users, reports and settings, half across the other
    products), written by reading only the catalog's listings and action documents (no code, no labeled
    set, no phrasebook, no search run), scored in aggregate and never tuned on: 0.732 @1, 0.955 @5 with the
    fourth round's ranker, 0.758, 0.962 after the fifth, 0.777, 0.968 after the sixth, 0.809, 0.968 after
    the eighth. Harder than the first untouched half, it reads like the third and fourth tuning sets;
    issue 15's targets (0.85, 0.97) are not met here either."""
    r1, r5, n = _recall(catalog, "search_tasks_untouched2.json")
    print(f"\nsearch_tasks_untouched2.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert n >= 150 and r1 >= 0.76 and r5 >= 0.95


def test_recall_on_the_third_untouched_set(catalog):
    """A third blind set (170 tasks, weighted like agents' traffic: a third Meetings, then recordings,
    users, webinars, Team Chat, Phone, Rooms, the rest across products), written for the sixth round
    like the second, at the same time as ``search_tasks_tuning5.json`` by another writer, and scored in
    aggregate four times: 0.724 @1, 0.941 @5 with the fifth round's ranker (170 tasks), 0.775, 0.970 after
    the sixth (169: one task that another set holds dropped), 0.787, 0.959 after the eighth.
    The fairest estimate of a stranger's tasks: issue 15's recall@1 target (0.85) is not met here."""
    r1, r5, n = _recall(catalog, "search_tasks_untouched3.json")
    print(f"\nsearch_tasks_untouched3.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert n >= 150 and r1 >= 0.75 and r5 >= 0.95


def test_recall_on_the_fourth_untouched_set(catalog):
    """A fourth blind set (163 tasks: 170 less those another set holds), written in the eighth round by a
    writer reading only the catalog's listings and action documents, asked for the requests the users of
    agents built on Zoom would type (a scheduling assistant, a sales-call note taker, a help-desk bot, a
    contact-center copilot ...). Scored in aggregate only: 0.816 @1, 0.969 @5 with the ranker the round
    started from, 0.822, 0.963 after it: the round's gains on the sets it read barely reach a set it did
    not. Its labels are more lenient than the earlier sets' (a quarter name two or three actions)."""
    r1, r5, n = _recall(catalog, "search_tasks_untouched4.json")
    print(f"\nsearch_tasks_untouched4.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert n >= 150 and r1 >= 0.79 and r5 >= 0.95


def test_recall_on_the_sixth_tuning_set(catalog):
    """Written with the fourth untouched set by another writer, read in the eighth round (not fitted on:
    fitted on it and the fifth too, the re-ranker weighs a composite action four times as much, and "set up
    a recurring weekly standup" found the past-occurrence workflow): 0.915 @1, 0.982 @5 before, 0.909, 0.982
    after."""
    r1, r5, n = _recall(catalog, "search_tasks_tuning6.json")
    print(f"\nsearch_tasks_tuning6.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert n >= 150 and r1 >= 0.88 and r5 >= 0.96


def test_recall_on_the_tuning_half(catalog):
    """0.921 @1, 1.000 @5 after the second round; 0.927, 1.000 after the third; 0.952, 1.000 after the fourth;
    0.964, 1.000 after the fifth; 0.952, 1.000 after the sixth."""
    r1, r5, n = _recall(catalog, "search_tasks_tuning.json")
    print(f"\nsearch_tasks_tuning.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert r1 >= 0.9 and r5 >= 0.98


def test_recall_on_the_second_tuning_set(catalog):
    """Measured before the second round of tuning: 0.564 @1, 0.847 @5; after it 0.761, 0.951; after the
    third 0.816, 0.988; after the fourth 0.914, 1.000; after the fifth and the sixth 0.914, 1.000."""
    r1, r5, n = _recall(catalog, "search_tasks_tuning2.json")
    print(f"\nsearch_tasks_tuning2.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert n >= 120 and r1 >= 0.89 and r5 >= 0.98


def test_recall_on_the_third_tuning_set(catalog):
    """Measured before the third round of tuning: 0.438 @1, 0.692 @5 (harder than the others: written
    across every product, in users' words, by reading the catalog for every action that does the job);
    after it 0.584, 0.854; after the fourth 0.751, 0.968; after the fifth 0.768, 0.968; after the sixth 0.784,
    0.968."""
    r1, r5, n = _recall(catalog, "search_tasks_tuning3.json")
    print(f"\nsearch_tasks_tuning3.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert n >= 120 and r1 >= 0.73 and r5 >= 0.95


def test_recall_on_the_fourth_tuning_set(catalog):
    """Measured before the fourth round (written blind to the ranker and the phrasebook, half on meetings,
    users, reports and settings, half across the other products): 0.531 @1, 0.756 @5 with the third round's
    ranker, 0.644, 0.906 with the phrasebook's first pass before this set was used; after the fourth round
    (a second pass of phrases in users' words, the re-ranker refitted on it too) 0.725, 0.956; after the
    fifth 0.769, 0.963; after the sixth 0.794, 0.956."""
    r1, r5, n = _recall(catalog, "search_tasks_tuning4.json")
    print(f"\nsearch_tasks_tuning4.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert n >= 150 and r1 >= 0.75 and r5 >= 0.94


def test_recall_on_the_fifth_tuning_set(catalog):
    """Written blind for the sixth round (like the third untouched set, by another writer) and measured
    before it: 0.694 @1, 0.929 @5; after it (its misses read for negations, verbs said in two parts, "his
    schedule", a batch "in one shot"; a third pass of phrases; the re-ranker not fitted on it) 0.756,
    0.964."""
    r1, r5, n = _recall(catalog, "search_tasks_tuning5.json")
    print(f"\nsearch_tasks_tuning5.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert n >= 150 and r1 >= 0.74 and r5 >= 0.95


def test_recall_on_the_labeled_set(catalog):
    r1, r5, n = _recall(catalog, "search_tasks.json")
    print(f"\nsearch_tasks.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert r5 >= 0.96 and r1 >= 0.92


def test_recall_on_the_held_out_set(catalog):
    r1, r5, n = _recall(catalog, "search_tasks_heldout.json")
    print(f"\nsearch_tasks_heldout.json: {n} tasks, recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    assert r5 >= 0.85 and r1 >= 0.7


@pytest.mark.parametrize("task,expected", [
    ("who attended my last meeting", "ZOOM_GET_PAST_MEETING_PARTICIPANTS"),
    ("get the join link to share", "ZOOM_GET_MEETING_INVITATION"),
    ("move tomorrow's sync to 4pm", "ZOOM_UPDATE_A_MEETING"),
])
def test_the_issue_examples_rank_first(catalog, task, expected):
    assert search(catalog, task, k=5)[0] == expected


@pytest.mark.parametrize("task,product", [
    ("list the members of a channel in Team Chat", "team-chat"),
    ("delete a recording in the contact center", "contact-center"),
    ("list my recordings in Zoom Phone", "phone"),
    ("get the settings of a Zoom Room", "rooms"),
])
def test_a_task_that_names_a_product_stays_in_it(catalog, task, product):
    got = search(catalog, task, k=3)
    assert got and all(catalog.entry(n)["product"] == product for n in got), got


def test_master_account_twins_rank_below_their_product_twins_unless_asked(catalog):
    for task in ("get a meeting's details", "list the users", "update a user's settings", "list call queues"):
        got = search(catalog, task, k=20)
        for name in got:
            if catalog.entry(name)["product"].endswith("-ma") and name.removesuffix("_MA") in got:
                assert got.index(name.removesuffix("_MA")) < got.index(name), (task, got)
    asked = search(catalog, "update a user's settings in a sub account", k=5)
    assert "ZOOM_UPDATE_USER_SETTINGS_MA" in asked and asked.index("ZOOM_UPDATE_USER_SETTINGS_MA") < (
        asked.index("ZOOM_UPDATE_USER_SETTINGS") if "ZOOM_UPDATE_USER_SETTINGS" in asked else 5)


@pytest.mark.parametrize("task,expected", [
    ("restart the Zoom Room in conference room B", "ZOOM_USE_ZOOM_ROOM_CONTROLS"),      # an operation enum
    ("archive the old project channel", "ZOOM_PERFORM_OPERATIONS_ON_CHANNELS"),        # ... and its description
    ("end the meeting that is still running for everyone", "ZOOM_UPDATE_MEETING_STATUS"),
    ("look up the details of meeting 81234567890", "ZOOM_GET_A_MEETING"),            # an ID: that one meeting
    ("my voicemails", "ZOOM_GET_USER_S_VOICEMAILS"),                                 # a plural: the collection
    ("create an admin role for the help desk staff", "ZOOM_CREATE_A_ROLE"),          # a help desk is no Zoom Rooms desk
    ("call off tomorrow's standup", "ZOOM_DELETE_A_MEETING"),
    ("check that my Zoom connection works", "ZOOM_GET_A_USER"),
])
def test_tasks_agents_phrase_their_own_way(catalog, task, expected):
    assert search(catalog, task, k=3)[0] == expected


def test_the_task_grammar():
    # plurals ask for the collection; an ID (not a time, not an address) for the one thing
    assert plurals("list the registrants and my voicemails") == {"registrant", "voicemail"}
    assert names_one("meeting 81234567890") and names_one("uuid aDYlohsHRtCd4ii1uC2+hA==")
    assert not names_one("at 10 tomorrow") and not names_one("4pm") and not names_one("jane@example.com")
    # "post an update": a noun, no verb; "check that ...": no verb at all; "with ...": who, not what
    raw = tokens("post an update in the channel", keep_stop=True)
    terms = query_terms(raw)
    assert terms["update"] == 0.5 and "send" in terms
    nouns, meta, companions = grammar(tokens("check that a call with the design team works", keep_stop=True))
    assert meta == {0} and companions
    assert "check" not in query_terms(tokens("check that my connection works", keep_stop=True))


def test_verbs_said_in_two_parts_and_relative_clauses():
    # "take X off", "let X know", "find X about", "is X allowed to": the verb they mean
    assert rewrite(tokens("take Maria off the panel", keep_stop=True))[0] == "remove"
    assert rewrite(tokens("let the channel know the deploy is done", keep_stop=True))[0] == "notify"
    assert "search" in rewrite(tokens("find the channel about the Q4 launch", keep_stop=True))
    assert "permission" in rewrite(tokens("what is Lena allowed to do", keep_stop=True))
    # everyday verbs vote for their family; "let me see" reads
    assert intent_of(tokens("bump the retro to next Wednesday", keep_stop=True)) == "update"
    assert intent_of(tokens("kill the budget meeting", keep_stop=True)) == "delete"
    assert intent_of(tokens("let me see the poll results", keep_stop=True)) == "read"
    # "who registered": the registrants, not a registration to add; the verb is no command
    terms = query_terms(tokens("who registered for the customer meetup", keep_stop=True))
    assert "registrant" in terms and "add" not in terms
    assert intent_of(tokens("people who registered for the webinar", keep_stop=True)) != "create"
    # "remove Ben from the group": a member; "add a task to follow up": no container
    assert query_terms(tokens("remove Ben from the Support group", keep_stop=True))["member"] == 0.5
    assert "member" not in query_terms(tokens("add a task to follow up with legal", keep_stop=True))


def test_a_new_time_a_start_and_a_question_about_the_past():
    def first(task):
        return rewrite(tokens(task, keep_stop=True))[0]
    # "push/move/bump X to <a time>": a new time, whatever else the verb may mean
    for task in ("push the 1:1 with Sam to next week", "move tomorrow's sync to 4pm",
                 "shift the design crit until Thursday", "push back the review by an hour"):
        assert first(task) == "reschedule", task
        assert intent_of(rewrite(tokens(task, keep_stop=True))) == "update", task
    for task in ("push a notification to our users", "move the newsletter email to the trash",
                 "move a user from one sub account to another"):
        assert first(task) != "reschedule", task
    # "kick off", "go live", "shut ... down": the verb they mean; a "kickoff" elsewhere is a meeting
    assert first("kick off the renewal campaign") == "start"
    assert first("go live with the new call flow") == "start"
    assert first("shut the all-hands down") == "end"
    assert "start" not in rewrite(tokens("notes from the project kickoff", keep_stop=True))
    # "what did people post": they posted; nothing is to be sent
    raw = rewrite(tokens("what did people post in the incidents channel", keep_stop=True))
    assert intent_of(raw) == "read" and "send" not in query_terms(raw)
    assert "send" in query_terms(rewrite(tokens("post the release notes in the channel", keep_stop=True)))


def test_give_someone_a_thing_email_them_and_many_at_once():
    def first(task):
        return rewrite(tokens(task, keep_stop=True))[0]
    assert first("give Raj the admin role") == "assign" and first("give Tom a desk by the window") == "assign"
    assert first("give me the join link") == "give"   # reads it (``intent_of``)
    assert first("email the contract to legal@acme.com") == "send" and first("text the customer back") == "send"
    assert first("email threads from last week") == "email" and first("text messages sent by Ana") == "sms"
    # a count of things is no identifier, and many changed at once want the batch action
    assert not names_one("add 200 prospects to the list") and names_one("meeting 12345 registrants")
    assert counts_many("delete these 30 old emails") and counts_many("update the users in bulk")
    assert not counts_many("look up meeting 81234567890") and not counts_many("remove 1 member")
    assert acts_at_once("add 200 prospects", intent_of(tokens("add 200 prospects", keep_stop=True)))
    assert not acts_at_once("list the 5 newest recordings",
                            intent_of(tokens("list the 5 newest recordings", keep_stop=True)))


def test_negations_and_more_verbs_said_in_two_parts():
    def raw(task):
        return rewrite(tokens(task, keep_stop=True))
    # "aren't assigned" is a negation (and "not assigned" is Zoom's "unassigned"), not a word "aren"
    assert "unassign" in raw("which phone numbers aren't assigned to anyone?")
    assert "aren" not in raw("they aren't here") and "isn" not in raw("John isn't on the list")
    assert raw("sign priya@example.org up for the onboarding session")[0] == "register"
    assert raw("lock jason@acme.com out of Zoom while HR investigates")[0] == "suspend"
    assert raw("lock the waiting room setting")[0] == "lock"   # no "out": an update, as before
    assert raw("the 3pm call is off, get rid of it")[-2:] == ["delete", "it"]
    assert "reject" in raw("turn down his request to join") and "dialin" in raw("the dial-in numbers")
    # "instead of" says a change; "on his schedule" is a noun (schedules nothing)
    assert "update" in query_terms(raw("make the sync repeat on Wednesdays instead of Tuesdays"))
    assert "update" not in query_terms(raw("make the sync repeat on Wednesdays"))
    terms = query_terms(raw("what does Carlos have on his schedule"))
    assert terms.get("schedule", 0) <= 0.5 and "create" not in terms
    # "across the company" says where, not that a setting is wanted: the account's calls are no setting
    assert "setting" not in query_terms(raw("every phone call made across the company yesterday"))
    assert counts_many("enroll these 20 people in meeting 86677889900") and acts_at_once(
        "register these people in one shot", "create")


def test_a_new_name_is_a_value_not_a_description(catalog):
    assert without_values("rename meeting 84455667788 to Roadmap Planning") == "rename meeting 84455667788 to"
    assert without_values("retitle the webinar as Q3 Poll Results") == "retitle the webinar as"
    assert without_values("change the title of my 3pm to Budget Poll") == "change the title of my 3pm to"
    for kept in ("put 'dentist Friday 4pm' on my calendar", "move the meeting named Roadmap to Friday",
                 "what is the name of the channel we use as the war room"):
        assert without_values(kept) == kept
    assert search(catalog, "rename meeting 84455667788 to Poll Review", k=1) == ["ZOOM_UPDATE_A_MEETING"]
    assert search(catalog, "retitle the webinar as Q3 Product Roadmap", k=1) == ["ZOOM_UPDATE_A_WEBINAR"]


def test_a_prefixed_identifier_says_nothing_of_the_action(catalog):
    # "c_design" is a channel's ID: "design" is no word of the task (it found design-named actions)
    assert without_values("bring anna@acme.com into channel c_design") == "bring anna@acme.com into channel c"
    assert without_values("rename room r_19 now") == "rename room r now"
    for kept in ("the join_url of meeting 812", "run ZOOM_LIST_MEETINGS for me", "mail a@b.co_x"):
        assert without_values(kept) == kept
    terms = query_terms(rewrite(tokens(without_values("who is in channel c_design"), keep_stop=True)))
    assert "design" not in terms and "channel" in terms


def test_an_address_names_a_person_more_than_it_asks_for_email():
    # an address is "email" at an alias's weight, below the word "email" said by the task
    said = query_terms(rewrite(tokens("email the contract to legal", keep_stop=True)))
    address = query_terms(rewrite(tokens("what does carlos@acme.com have scheduled", keep_stop=True)))
    assert said["email"] == 1.0 and 0 < address["email"] < 1.0
    assert "emailaddress" not in address
    # an address said first is no verb ("email the ...": send)
    assert rewrite(tokens("carlos@acme.com the meetings", keep_stop=True))[0] != "send"


def test_an_address_is_a_url_not_words_of_the_task(catalog):
    # "rtmp://live.example.com/app": "live" is the host's word, not the task's
    assert without_values("stream meeting 866 to rtmp://live.example.com/app now") == "stream meeting 866 to  url  now"
    terms = query_terms(rewrite(tokens(without_values("point it at https://live.example.com/x"), keep_stop=True)))
    assert "live" not in terms and "url" in terms


def test_a_name_keeps_its_first_word_when_its_verb_is_a_stop_word(catalog):
    # "get" is a stop word: GET_PAST_MEETING_PARTICIPANTS lost "past", GET_A_WEBINAR_SIP_URI_WITH_PASSCODE "webinar"
    idx = index_for(catalog)
    words = idx.lexical.name_words
    assert {"past", "meet", "participant"} <= words[idx.position["ZOOM_GET_PAST_MEETING_PARTICIPANTS"]]
    assert "webinar" in words[idx.position["ZOOM_GET_A_WEBINAR_SIP_URI_WITH_PASSCODE"]]
    assert "list" not in words[idx.position["ZOOM_LIST_MEETING_PARTICIPANTS"]]   # a verb said is dropped


def test_now_and_then(catalog):
    # a task about now does not want the past's action, nor one about the past the live one
    for now in ("who is in meeting 85512345678 right now", "who's currently in meeting 85512345678",
                "who is in meeting 85512345678 at the moment"):
        got = search(catalog, now, k=5)
        assert got.index("ZOOM_LIST_MEETING_PARTICIPANTS") < got.index("ZOOM_GET_PAST_MEETING_PARTICIPANTS"), now
    assert search(catalog, "who is in meeting 85512345678 right now", k=1) == ["ZOOM_LIST_MEETING_PARTICIPANTS"]
    assert search(catalog, "who was in meeting 85512345678 yesterday", k=1) == ["ZOOM_GET_PAST_MEETING_PARTICIPANTS"]


def test_every_meeting_is_a_setting_one_meeting_its_own_action(catalog):
    from zoom_actions.lexical import scope_of_meetings
    for every in ("require the waiting room for every meeting across the account", "all my future meetings",
                  "each of the team's calls", "new meetings should have a passcode"):
        assert scope_of_meetings(every) == "every", every
    for one in ("make the weekly sync require a passcode", "delete meeting 81234567890",
                "switch on the waiting room for my 3pm interview", "yesterday's standup"):
        assert scope_of_meetings(one) == "one", one
    assert scope_of_meetings("list my meetings") is None
    assert search(catalog, "turn on the waiting room for all my meetings", k=1) == ["ZOOM_UPDATE_USER_SETTINGS"]
    assert search(catalog, "require a passcode for all future meetings across the account", k=1) == [
        "ZOOM_UPDATE_ACCOUNT_SETTINGS"]
    assert search(catalog, "enable waiting room for meeting 85512345678", k=1) == ["ZOOM_UPDATE_A_MEETING"]


def test_an_action_for_the_caller_alone_serves_nobody_the_task_names(catalog):
    # /users/me/zak is the caller's own ZAK: a host named by address needs /users/{userId}/token
    assert search(catalog, "get a ZAK for dev@acme.com", k=1) == ["ZOOM_GET_A_USER_S_TOKEN"]
    assert search(catalog, "get my ZAK", k=1) == ["ZOOM_GET_THE_USER_S_ZAK"]


def test_a_state_is_no_command():
    def intent(task):
        return intent_of(rewrite(tokens(task, keep_stop=True)))
    # "is closed" says how things are; the command is "set up"
    assert intent("our contact center is closed Dec 25, set up the holiday closures") == "create"
    assert intent("which meetings were deleted last week") == "read"
    assert intent("is Ana free right now") == "read"   # a question's "is" still asks
    # a tie goes to the verb the task starts with
    assert intent("set up a weekly standup, no end date, and turn on the waiting room") == "create"


def test_every_thing_is_as_many_as_the_things():
    assert plurals("wipe every recording file of meeting 87734562109") >= {"record", "file"}
    assert plurals("each user in the group") == {"user"}
    assert "meet" not in plurals("the recording of meeting 812")


def test_an_address_after_a_sending_noun_makes_it_a_verb():
    assert rewrite(tokens("email bob@example.com that the contract is signed", keep_stop=True))[0] == "send"
    assert rewrite(tokens("email address of the host", keep_stop=True))[0] != "send"


def test_a_brand_says_where_not_what(catalog):
    from zoom_actions.search import what_is_asked
    assert what_is_asked("scorecards in Zoom Revenue Accelerator").split() == ["scorecards", "in"]
    assert what_is_asked("deals in ZRA for the Video SDK team").split() == ["deals", "in", "for", "the", "team"]
    assert what_is_asked("send a team chat message") == "send a team chat message"   # its words say what
    # once the brand has picked the product, its words favour no action that repeats it
    assert search(catalog, "Revenue Accelerator scorecards for Dana's calls", k=1) == [
        "ZOOM_GET_CONVERSATION_SCORECARDS"]
    assert named_products("scorecards in Revenue Accelerator")[0] == {"iq": 1.0}


def test_a_stop_word_stems_to_a_stop_word():
    # "does" stems to "doe", which was counted as a word of the task
    assert "doe" not in query_terms(rewrite(tokens("does meeting 83349875612 require registration", keep_stop=True)))


def test_a_meeting_named_by_when_it_happened_is_one_meeting(catalog):
    for task in ("this morning's sync", "notes from yesterday\u2019s all-hands", "last week's 1:1 with Sam",
                 "Monday's board call recording"):
        assert names_an_occasion(task), task
    for task in ("yesterday's meetings", "my meetings this week", "the meeting settings"):
        assert not names_an_occasion(task), task
    lexical = index_for(catalog).lexical
    one = lexical.on_meeting[index_for(catalog).position["ZOOM_GET_A_MEETING_SUMMARY"]]
    many = lexical.on_meeting[index_for(catalog).position["ZOOM_LIST_AN_ACCOUNT_S_MEETING_SUMMARIES"]]
    assert one and not many
    # the meeting's summary, or the workflow that gives one occurrence's (a standup recurs): both answer it,
    # the account's list of summaries does not
    got = search(catalog, "AI summary of yesterday's standup", k=2)
    assert set(got) == {"ZOOM_GET_A_MEETING_SUMMARY", "ZOOM_GET_PAST_MEETING_OCCURRENCE"}, got


@pytest.mark.parametrize("task,expected", [
    ("email the invoice PDF to finance@acme.com", "ZOOM_SEND_OUT_AN_EMAIL"),
    ("delete these 12 old emails in one go", "ZOOM_BATCH_DELETE_THE_SPECIFIED_EMAILS"),
    ("add 50 prospects to the spring call list", "ZOOM_CREATE_PROSPECTS_BATCH"),
    ("remove 40 contacts from the do not call list in bulk", "ZOOM_BATCH_DELETE_A_CAMPAIGN_DNC_LIST_S_PHONES"),
    ("push the weekly sync with Omar to next Monday", "ZOOM_UPDATE_A_MEETING"),
    ("push the 1:1 with Dana to next week", "ZOOM_UPDATE_A_MEETING"),
    ("push the due date of the launch checklist task to next Friday", "ZOOM_UPDATE_TASK_FIELDS"),
    ("go live with version 3 of the contact center flow", "ZOOM_PUBLISH_A_FLOW"),
])
def test_the_verb_a_task_means_finds_the_action(catalog, task, expected):
    assert search(catalog, task, k=1) == [expected]


def test_politeness_before_the_request_is_not_the_request(catalog):
    assert rewrite(tokens("can you please cancel my 3pm meeting", keep_stop=True))[:2] == ["cancel", "my"]
    assert rewrite(tokens("I'd like to see who attended", keep_stop=True))[0] == "see"
    assert rewrite(tokens("help me find the recording", keep_stop=True))[0] == "find"
    assert rewrite(tokens("list my meetings", keep_stop=True))[0] == "list"
    for task in ("cancel tomorrow's standup", "who attended my last meeting", "end the webinar now"):
        plain = search(catalog, task, k=1)
        for preamble in ("can you please ", "hey, could you ", "I need to "):
            assert search(catalog, preamble + task, k=1) == plain, preamble + task


@pytest.mark.parametrize("task,expected", [
    ("who answers calls in the sales call queue", "ZOOM_LIST_CALL_QUEUE_MEMBERS"),
    ("remove Ben from the Support group", "ZOOM_DELETE_A_GROUP_MEMBER"),
    ("who are the admins of the #design channel", "ZOOM_LIST_CHANNEL_ADMINISTRATORS"),
    ("what wrap-up codes can contact center agents pick after a call", "ZOOM_LIST_DISPOSITIONS"),
])
def test_the_reranked_head(catalog, task, expected):
    assert expected in search(catalog, task, k=3)


def test_the_reranker_keeps_the_first_stage_candidates(catalog):
    idx = index_for(catalog)
    query = "list the recordings of my meeting"
    fused = idx.scores(query)
    every = idx.rank(query, len(fused) + 10)
    assert sorted(every) == sorted(fused)   # re-ordered, nothing added or lost
    assert every[rerank.TOP:] == sorted(fused, key=lambda i: (-fused[i], i))[rerank.TOP:]   # the tail untouched
    assert idx.rank(query, 3) == every[:3]


def test_fit_learns_which_feature_tells_right_from_wrong():
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(3)
    tasks = []
    for _ in range(40):
        rows = rng.normal(size=(10, len(rerank.FEATURES)))
        right = np.zeros(10, dtype=bool)
        right[int(np.argmax(rows[:, 2]))] = True   # the third feature alone says which is right
        tasks.append((rows, right))
    weights = rerank.fit(tasks)
    assert max(weights, key=lambda f: abs(weights[f])) == rerank.FEATURES[2] and weights[rerank.FEATURES[2]] > 0
    with pytest.raises(ValueError, match="no labeled task"):
        rerank.fit([(np.zeros((3, len(rerank.FEATURES))), np.zeros(3, dtype=bool))])


def test_the_shipped_weights_are_what_fit_gives_on_the_tuning_sets(catalog):
    """The weights in ``zoom_actions.rerank`` come from ``fit`` on the first four tuning sets (and nothing else:
    the untouched half stays untouched). A change to the first stage must refit them
    (``python -m zoom_actions.rerank tests/adapters/search_tasks_tuning*.json``)."""
    tasks = [t for file in TUNING_SETS for t in _tasks(file)]
    fitted = rerank.fit(rerank.training_rows(catalog, tasks))
    for feature in rerank.FEATURES:
        assert fitted[feature] == pytest.approx(rerank.WEIGHTS[feature], abs=0.05), feature


def test_operations_and_descriptions_come_from_the_action_documents(catalog):
    doc = {"short_description": "Control things.",
           "description": "Control things.\n\nOperations include archive and unarchive.\n\n**Scopes:** `x:write`",
           "input_schema": {"properties": {
               "method": {"anyOf": [{"type": "string", "enum": ["recording.start"]}, {"enum": ["zoomroom.restart"]}]},
               "action": {"type": "string", "enum": ["end", "recover"]},
               "timezone": {"type": "string", "enum": ["UTC", "Europe/Paris"]},   # says nothing of the action
               "settings": {"type": "object", "properties": {"join_before_host": {"type": "boolean"}}}}}}
    got = search_documents.extract(doc)
    assert got["operations"].split() == ["recording", "start", "zoomroom", "restart", "end", "recover"]
    assert got["description"] == "Operations include archive and unarchive."   # not the summary, not the scopes
    assert "join before host" in got["fields"]
    real = search_documents.extract(catalog.get("ZOOM_USE_IN_MEETING_CONTROLS"))
    assert "recording pause" in real["operations"]


def test_the_documents_are_read_once_per_catalog_and_kept_on_disk(catalog, tmp_path):
    names = catalog.names()[:20]
    first = search_documents.documents(catalog, names, tmp_path)
    files = list(tmp_path.glob("documents-*.json"))
    assert len(files) == 1 and set(first) == set(names)
    stamp = files[0].stat().st_mtime_ns
    assert search_documents.documents(catalog, names, tmp_path) == first
    assert files[0].stat().st_mtime_ns == stamp   # read, not rewritten
    assert search_documents.documents(catalog, names, None) == first   # no cache: extracted again


def test_named_products():
    assert named_products("post in the Team Chat channel")[0]["team-chat"] == 1.0
    assert named_products("look up the user priya@example.com") == ({}, False)   # an address is no Zoom Mail
    assert named_products("change the login email address of a user") == ({}, False)
    assert named_products("find the invoice in my inbox")[0] == {"mail": 1.0}
    assert named_products("schedule a meeting for a user in a sub account") == ({}, True)
    assert named_products("who attended my last meeting") == ({}, False)


def test_search_is_restricted_to_candidates_and_empty_for_nonsense(catalog):
    index_for(catalog)   # latency is measured by `make bench`, not asserted here (a loaded CI machine is noisy)
    phone = catalog.filter(products="phone")
    got = search(catalog, "list the recordings of a meeting", k=5, names=phone)
    assert got and set(got) <= set(phone)
    assert search(catalog, "", k=5) == [] and search(catalog, "meeting", k=0) == []
    assert search(catalog, "zzzzqqq", k=5) == []
    assert search(catalog, "list users", k=5, names=[]) == []


def test_the_semantic_floor_is_numpys_percentile():
    np = pytest.importorskip("numpy")
    from zoom_actions.search import _percentile
    rng = np.random.default_rng(7)
    for n in (1, 2, 9, 2444):
        values = rng.random(n, dtype=np.float32)
        assert _percentile(values, 90) == pytest.approx(float(np.percentile(values, 90)), abs=1e-6)


def test_the_index_is_built_once_per_catalog(catalog):
    assert index_for(catalog) is index_for(catalog)


def test_tokenizer_and_stemmer():
    assert tokens("Who attended jane@example.com's Q&A?") == ["attend", "emailaddress", "qa"]
    assert stem("meetings") == stem("meeting") and stem("summaries") == "summary" and stem("addresses") == "address"
    # Zoom's joined and split spellings meet, in the index and in tasks alike
    assert tokens("List subAccounts") == tokens("list sub accounts") == ["list", "subaccount"]
    assert tokens("who never showed up") == ["noshow"] and tokens("the 1:1 with Sam") == ["oneonone", "sam"]


def test_the_model_loads_offline(monkeypatch):
    """wordllama's weights and tokenizer come from its wheel: no connection is opened, nothing downloaded,
    and the root logger is left as it was."""
    pytest.importorskip("wordllama")

    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(embedding, "_model", embedding._UNSET)
    root = logging.getLogger()
    handlers = list(root.handlers)
    assert embedding.model() is not None
    vectors = embedding.embed(["who attended my last meeting", "list my meetings"])
    assert vectors.shape == (2, 256)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4
    assert root.handlers == handlers


def test_without_the_model_search_is_lexical_and_says_so_once(catalog, monkeypatch, caplog, tmp_path):
    monkeypatch.setitem(sys.modules, "wordllama", None)   # as if the `search` extra were not installed...
    monkeypatch.setitem(sys.modules, "numpy", None)       # ...nor numpy, which comes with it (the re-ranker too)
    monkeypatch.setattr(embedding, "_model", embedding._UNSET)
    with caplog.at_level(logging.WARNING, logger="zoom_actions.embedding"):
        first, second = Index(catalog, cache=tmp_path), Index(catalog, cache=tmp_path)
    assert not first.semantic and not second.semantic
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
    assert "wordllama is not installed" in caplog.records[0].getMessage() and len(caplog.records) == 1
    top = [first.names[i] for i in first.rank("who attended my last meeting", 3)]
    assert top[0] == "ZOOM_GET_PAST_MEETING_PARTICIPANTS"
    assert not list(tmp_path.glob("vectors-*"))   # no vectors without a model


def test_vectors_are_cached_on_disk_by_what_is_embedded(tmp_path):
    np = pytest.importorskip("numpy")
    pytest.importorskip("wordllama")
    texts = ["meetings: list meetings", "phone: list call queues"]
    first = embedding.matrix(texts, tmp_path)
    files = list(tmp_path.glob("vectors-*.npy"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    again = embedding.matrix(texts, tmp_path)
    assert np.array_equal(first, again) and files[0].stat().st_mtime_ns == stamp   # read, not rewritten
    embedding.matrix(texts + ["rooms: list zoom rooms"], tmp_path)
    assert len(list(tmp_path.glob("vectors-*.npy"))) == 2   # other texts, another key


def test_toolkit_search_and_tools_search(toolkit):
    assert toolkit.search("who attended my last meeting", k=3)[0] == "ZOOM_GET_PAST_MEETING_PARTICIPANTS"
    tools = toolkit.tools(format="openai", search="who attended my last meeting", limit=3)
    assert [t["function"]["name"] for t in tools][0] == "ZOOM_GET_PAST_MEETING_PARTICIPANTS"
    assert len(tools) == 3


def test_a_limited_selection_is_the_most_useful_first(toolkit, catalog):
    meetings = [t["function"]["name"] for t in toolkit.tools(format="openai", products="meetings", limit=20)]
    core = {"ZOOM_LIST_MEETINGS"} | {f"ZOOM_{v}_A_MEETING" for v in ("CREATE", "GET", "UPDATE", "DELETE")}
    assert core <= set(meetings[:10]), meetings
    assert not any("ARCHIVE" in n for n in meetings)
    assert select_names(catalog, products="users", limit=2) == ["ZOOM_LIST_USERS", "ZOOM_GET_A_USER"]
    phone = select_names(catalog, products="phone", limit=10)
    assert "ZOOM_LIST_PHONE_USERS" in phone and len(phone) == 10
    # named actions keep the caller's order; without a limit a selection stays in catalog order
    assert select_names(catalog, names=["ZOOM_DELETE_A_MEETING", "ZOOM_LIST_MEETINGS"], limit=2) == [
        "ZOOM_DELETE_A_MEETING", "ZOOM_LIST_MEETINGS"]
    assert select_names(catalog, products="meetings") == catalog.filter(products="meetings")
