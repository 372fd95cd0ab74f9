"""How polls behave over time: a baseline first, durable snapshots across
restarts, every page read, failures reported and harmless, handlers fed
through the event log, one poll per interval window across workers."""

from __future__ import annotations

import json
import threading

from zoom_actions.cli import main
from zoom_actions.events import Events
from zoom_actions.triggers import Triggers
from zoom_actions.triggers.leases import NAMESPACE as LEASES
from zoom_actions.triggers.runner import NAMESPACE

from .conftest import ok

CREATED = "ZOOM_NEW_MEETING_CREATED_TRIGGER"
USER = "ZOOM_USER_INFORMATION_CHANGED_TRIGGER"


def create(tk, topic: str) -> dict:
    return ok(tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": topic, "type": 2}))


def test_the_first_poll_records_a_baseline_and_emits_nothing(triggers, events, store):
    sub = triggers.subscribe(CREATED, {})
    [result] = triggers.poll_due()
    assert result.ok and result.baseline and result.events == []
    assert events.log.count() == 0
    assert len(store.get(NAMESPACE, sub)["snapshot"]["seen"]) == 6   # the seeded meetings, all known now


def test_a_restart_neither_repeats_nor_loses_events(tk, events, store, clock):
    first = Triggers(tk, events, store, clock=clock)
    sub = first.subscribe(CREATED, {})
    assert first.poll(sub).baseline
    made = create(tk, "While we were down")
    again = Triggers(tk, events, store, clock=clock)          # a new process over the same store
    assert again.subscribe(CREATED, {}) == sub
    [event] = again.poll(sub).events
    assert event.payload["meeting"]["id"] == made["id"]
    third = Triggers(tk, events, store, clock=clock)
    assert third.poll(third.subscribe(CREATED, {})).events == []
    assert events.log.count() == 1


def test_a_change_found_again_after_a_crash_keeps_its_dedupe_key(triggers, tk, events, store):
    """Killed after appending the event and before keeping the snapshot: the next poll finds the same
    change, under the same key, and the log refuses it."""
    sub = triggers.subscribe(USER, {"user_id": "me"})
    triggers.poll(sub)
    ok(tk.execute("ZOOM_UPDATE_A_USER", {"userId": "me", "dept": "Platform"}))
    before = store.get(NAMESPACE, sub)
    [event] = triggers.poll(sub).events
    store.put(NAMESPACE, sub, before)                             # the snapshot write that never happened
    replay = triggers.poll(sub)
    assert replay.ok and replay.events == [] and events.log.count() == 1
    assert store.get(NAMESPACE, sub)["rev"] == before["rev"] + 1
    ok(tk.execute("ZOOM_UPDATE_A_USER", {"userId": "me", "dept": "Engineering"}))
    ok(tk.execute("ZOOM_UPDATE_A_USER", {"userId": "me", "dept": "Platform"}))
    triggers.poll(sub)
    assert len(triggers.poll(sub).events) == 0
    ok(tk.execute("ZOOM_UPDATE_A_USER", {"userId": "me", "dept": "Engineering"}))
    [back] = triggers.poll(sub).events
    ok(tk.execute("ZOOM_UPDATE_A_USER", {"userId": "me", "dept": "Platform"}))
    [forth] = triggers.poll(sub).events                           # the same values as the first change: new key
    assert len({event.dedupe_key, back.dedupe_key, forth.dedupe_key}) == 3


def test_every_page_is_read(triggers, tk, store):
    sub = triggers.subscribe(CREATED, {"page_size": 2})
    for i in range(3):
        create(tk, f"Before {i}")
    assert triggers.poll(sub).baseline
    assert len(store.get(NAMESPACE, sub)["snapshot"]["seen"]) == 9       # five pages of two
    made = [create(tk, f"After {i}")["id"] for i in range(2)]       # the 10th and 11th: on pages 5 and 6
    assert [e.payload["meeting"]["id"] for e in triggers.poll(sub).events] == made


def test_every_page_is_read_where_a_list_pages_by_number(triggers, tk, store):
    """Zoom's webinar list pages by number and answers a token too, which its request cannot send."""
    sub = triggers.subscribe("ZOOM_NEW_WEBINAR_CREATED_TRIGGER", {"page_size": 1})
    assert triggers.poll(sub).baseline
    assert len(store.get(NAMESPACE, sub)["snapshot"]["seen"]) == 2
    made = ok(tk.execute("ZOOM_CREATE_A_WEBINAR", {"userId": "me", "topic": "Third", "type": 5}))
    assert [e.payload["id"] for e in triggers.poll(sub).events] == [made["id"]]


def test_a_failed_poll_emits_nothing_keeps_the_snapshot_and_is_reported(triggers, tk, sandbox, store, caplog):
    sub = triggers.subscribe(CREATED, {"page_size": 2})
    triggers.poll(sub)
    kept = store.get(NAMESPACE, sub)
    made = create(tk, "Made during the outage")
    sandbox.faults = {"rate_limit_first": 1}
    failed = triggers.poll(sub)
    assert not failed.ok and "429" in failed.error and failed.events == []
    assert store.get(NAMESPACE, sub) == kept
    assert "poll failed" in caplog.text
    sandbox.faults = {"rate_limit_every": 2}                      # the second page fails
    failed = triggers.poll(sub)
    assert not failed.ok and failed.error.startswith("Page 2 failed") and failed.events == []
    assert store.get(NAMESPACE, sub) == kept
    sandbox.faults = None
    [event] = triggers.poll(sub).events                           # nothing was lost meanwhile
    assert event.payload["meeting"]["id"] == made["id"]


def test_a_failed_detail_read_fails_the_poll_and_the_item_comes_next_time(triggers, tk, sandbox):
    sub = triggers.subscribe("ZOOM_NEW_WEBINAR_CREATED_TRIGGER", {})
    triggers.poll(sub)
    made = ok(tk.execute("ZOOM_CREATE_A_WEBINAR", {"userId": "me", "topic": "Fourth", "type": 5}))
    sandbox.faults = {"rate_limit_every": 2}                      # the list answers, the webinar's read fails
    failed = triggers.poll(sub)
    assert not failed.ok and failed.events == []
    sandbox.faults = None
    assert [e.payload["id"] for e in triggers.poll(sub).events] == [made["id"]]


def test_a_failed_first_poll_is_no_baseline(triggers, tk, sandbox, store):
    sandbox.faults = {"rate_limit_first": 1}
    sub = triggers.subscribe(CREATED, {})
    assert not triggers.poll(sub).ok and store.get(NAMESPACE, sub) is None
    sandbox.faults = None
    create(tk, "Existing before the first good poll")
    result = triggers.poll(sub)
    assert result.baseline and result.events == []


def test_a_wrong_id_is_a_failed_poll_not_a_crash(triggers):
    sub = triggers.subscribe("ZOOM_MEETING_DETAILS_CHANGED_TRIGGER", {"meeting_id": 12345678901})
    result = triggers.poll(sub)
    assert not result.ok and "3001" in result.error


def test_an_unreachable_store_is_a_reported_failure(tk, events):
    triggers = Triggers(tk, events, "redis://127.0.0.1:9/0")
    triggers.subscribe(USER, {"user_id": "me"})
    [result] = triggers.poll_due()
    assert not result.ok and result.error.startswith("StoreError") and "unreachable" in result.error
    triggers.close()


def test_handlers_receive_trigger_events_once(triggers, tk, events):
    got = []
    events.on(CREATED)(got.append)
    sub = triggers.subscribe(CREATED, {})
    triggers.poll(sub)
    made = create(tk, "Handled")
    triggers.poll(sub)
    triggers.poll(sub)
    assert events.run_pending() == 1 and events.run_pending() == 0
    [event] = got
    assert event.type == CREATED and event.source == "trigger" and event.payload["meeting"]["id"] == made["id"]


def test_poll_due_polls_each_subscription_once_per_window_across_workers(tk, events, store, clock):
    a = Triggers(tk, events, store, clock=clock)
    b = Triggers(tk, Events(events.log.path), store, clock=clock)   # another worker on the same store
    for worker in (a, b):
        worker.subscribe(USER, {"user_id": "me", "interval": 1 / 60})
        worker.subscribe(CREATED, {"interval": 2 / 60})
    polls = []
    for second in range(6):
        polls += [(second, r.slug) for r in a.poll_due() + b.poll_due() + a.poll_due()]
        clock.advance(1)
    assert sorted(polls) == sorted([(s, USER) for s in range(6)] + [(s, CREATED) for s in (0, 2, 4)])


def test_unsubscribe_stops_polling_and_keeps_the_snapshot(triggers, tk, clock):
    sub = triggers.subscribe(CREATED, {})
    assert triggers.poll_due()[0].baseline
    assert triggers.unsubscribe(sub) and not triggers.unsubscribe(sub)
    made = create(tk, "While unsubscribed")
    clock.advance()
    assert triggers.poll_due() == []
    assert triggers.subscribe(CREATED, {}) == sub
    [result] = triggers.poll_due()
    assert not result.baseline and [e.payload["meeting"]["id"] for e in result.events] == [made["id"]]


def test_old_leases_are_swept(triggers, store, clock):
    triggers.subscribe(USER, {"user_id": "me", "interval": 1 / 60})
    for _ in range(5):
        triggers.poll_due()
        clock.advance(1)
    assert len(store.items(LEASES)) == 5                          # kept for a minute past their window
    clock.advance(120)
    triggers.poll_due()
    assert len(store.items(LEASES)) == 1


def test_run_forever_polls_and_delivers_until_stopped(tk, events, store):
    """On the real clock, with 1 s windows: the baseline, then a change reaches the handler."""
    triggers = Triggers(tk, events, store)
    triggers.subscribe(USER, {"user_id": "me", "interval": 1 / 60})
    baselined, delivered, stop = threading.Event(), threading.Event(), threading.Event()
    got = []
    events.on(USER)(lambda e: (got.append(e), delivered.set()))
    worker = threading.Thread(target=triggers.run_forever, args=(stop,),
                              kwargs={"on_result": lambda r: r.baseline and baselined.set()}, daemon=True)
    worker.start()
    try:
        assert baselined.wait(10)
        ok(tk.execute("ZOOM_UPDATE_A_USER", {"userId": "me", "job_title": "CTO"}))
        assert delivered.wait(10)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()
    assert got[0].payload["changes_detected"]["job_title"]["new"] == "CTO"


def test_cli_run_once_prints_each_event_as_one_json_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ZOOM_ACTIONS_STORE", f"sqlite:///{tmp_path / 'store.db'}")
    db = str(tmp_path / "sandbox.db")
    run = ["triggers", "run", "ZOOM_NEW_MEETING_CREATED_TRIGGER", "--db", db, "--once", "-c", "user_id=me",
           "-c", "page_size=50"]
    assert main(run) == 0
    first = capsys.readouterr()
    assert first.out == "" and "baseline" in first.err
    create = ["run", "--db", db, "--compact", "ZOOM_CREATE_A_MEETING", "-p", "userId=me", "-p", "topic=From CLI"]
    assert main(create) == 0
    made = json.loads(capsys.readouterr().out)["data"]
    assert main(run) == 0
    [line] = capsys.readouterr().out.splitlines()
    event = json.loads(line)
    assert event["type"] == "ZOOM_NEW_MEETING_CREATED_TRIGGER" and event["payload"]["meeting"]["id"] == made["id"]
    assert (tmp_path / "events.db").exists()                      # the log beside the store has it too


def test_cli_run_names_a_configuration_error(capsys, tmp_path):
    code = main(["triggers", "run", "ZOOM_MEETING_DETAILS_CHANGED_TRIGGER", "--db", str(tmp_path / "s.db"),
                 "--store", str(tmp_path / "st.db"), "--once", "-c", "meeting_id=abc"])
    err = capsys.readouterr().err
    assert code == 2 and "`meeting_id`: must be an integer" in err
