"""A meeting's life, driven by a test: start it, people join and leave, end
it, its cloud recording and its AI Companion summary become ready.

    life = sandbox.app.life
    life.start(meeting_id)                          # meeting.started; `type=live` lists it
    ana = life.join(meeting_id, "Ana Ruiz", "ana@example.com")   # meeting.participant_joined
    life.leave(meeting_id, ana)                     # meeting.participant_left
    life.end(meeting_id)                            # participant_left for whoever is still in, meeting.ended
    life.recording_ready(meeting_id)                # recording.completed (MP4, M4A, the VTT transcript)
    life.summary_ready(meeting_id)                  # meeting.summary_completed

Each step changes the state the API shows (a started meeting is ``live``
with status ``started``; an ended one is a past instance whose participants
are the people who joined it, with their real join and leave times) and
emits Zoom's event once the change has committed, exactly as an API
request does (``Sandbox.change``). The same steps are served over HTTP at
``POST /_sandbox/meetings/{id}/start|join|leave|end|recording_ready|summary_ready``
(see ``control``). A step that makes no sense (joining a meeting that has
not started, a second recording) raises :class:`LifeError`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from . import ids, payloads
from .context import Emits
from .history import add_recording, add_summary, end_instance, instances
from .meetings import MEETING, Kind, is_live, save
from .store import Store
from .users import find_user

LIVE = "live_participant"      # who is (or was) in the running instance, keyed "{uuid}:{n}"
FIRST_USER_ID = 16778240       # Zoom's per-meeting participant user_id counts up from here
HOST_ENDED = "left the meeting. Reason : Host ended the meeting"
LEFT = "left the meeting. Reason : left the meeting"


class LifeError(ValueError):
    """A step that cannot happen now; ``status`` is the HTTP status the control route answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _started_at(doc: dict, now: datetime) -> str:
    return doc.get("_started_at") or ids.iso(now - timedelta(minutes=30))


def _registrant_id(store: Store, doc: dict, email: str) -> str:
    if not email:
        return ""
    for reg in store.list("meeting_registrant", parent=doc["id"]):
        if str(reg.get("email", "")).lower() == email.lower():
            return reg["id"]
    return ""


def finish(store: Store, emits: Emits, kind: Kind, doc: dict, now: datetime) -> dict:
    """End a live meeting (the API's ``status: end`` and :meth:`Life.end`): whoever is still in
    leaves, the instance becomes past with the people who were in it, and meeting.ended.
    Webinars end the same way but emit nothing here (their events are not modelled yet)."""
    started = _started_at(doc, now)
    start_dt = ids.parse_time(started)
    snapshot = dict(doc)   # end_instance gives the meeting a fresh UUID for its next instance
    people = []
    for n, person in enumerate(store.list(LIVE, parent=doc["uuid"])):
        if not person.get("leave_time"):
            person["leave_time"], person["leave_reason"] = ids.iso(now), HOST_ENDED
            if kind is MEETING:
                emits.emit("meeting.participant_left", payloads.participant_left(snapshot, started, person))
        join = ids.parse_time(person["join_time"])
        leave = ids.parse_time(person["leave_time"])
        people.append({"name": person["user_name"], "email": person.get("email", ""),
                       "join_offset_s": max(0, int((join - start_dt).total_seconds())),
                       "stay_s": max(1, int((leave - join).total_seconds())),
                       "registrant_id": person.get("registrant_id", ""), "user_id": person["user_id"]})
        store.delete(LIVE, f"{doc['uuid']}:{n}")
    past = end_instance(store, kind, doc, now, people=people or None)
    if kind is MEETING:
        emits.emit("meeting.ended", payloads.ended(snapshot, started, ids.iso(now)))
    return past


class Life:
    """The driver, owned by a :class:`~.server.Sandbox` (``sandbox.life``)."""

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox

    def _meeting(self, meeting_id: Any) -> dict:
        doc = self.sandbox.store.get(MEETING.name, str(meeting_id))
        if doc is None:
            raise LifeError(404, f"there is no meeting {meeting_id} in the sandbox")
        return doc

    def _live(self, meeting_id: Any) -> dict:
        doc = self._meeting(meeting_id)
        if not is_live(doc):
            raise LifeError(409, f"meeting {meeting_id} has not started: start it first")
        return doc

    def _past(self, meeting_id: Any) -> dict:
        found = instances(self.sandbox.store, MEETING, meeting_id)
        if found:
            return found[-1]
        if str(meeting_id).isdigit():
            self._meeting(meeting_id)   # 404 when there is no such meeting at all
        raise LifeError(409, f"meeting {meeting_id} has no ended instance: end it first")

    def start(self, meeting_id: Any) -> dict:
        """The host starts the meeting: status ``started``, listed as live; meeting.started."""
        with self.sandbox.change() as emits:
            doc = self._meeting(meeting_id)
            if is_live(doc):
                raise LifeError(409, f"meeting {meeting_id} is already started")
            now = ids.now()
            doc["status"], doc["_started_at"] = "started", ids.iso(now)
            save(self.sandbox.store, MEETING, doc)
            payload = payloads.started(doc, doc["_started_at"])
            emits.emit("meeting.started", payload)
            return payload["object"]

    def join(self, meeting_id: Any, name: str, email: str | None = None) -> dict:
        """Someone joins the started meeting; the participant (pass it to :meth:`leave`)."""
        if not isinstance(name, str) or not name.strip():
            raise LifeError(400, "a participant needs a name")
        if email is not None and (not isinstance(email, str) or "@" not in email):
            raise LifeError(400, f"email must be an email address, not {email!r}")
        with self.sandbox.change() as emits:
            store = self.sandbox.store
            doc = self._live(meeting_id)
            n = len(store.list(LIVE, parent=doc["uuid"]))
            user = find_user(store, email) if email else None
            person = {"user_id": str(FIRST_USER_ID + n), "user_name": name.strip(), "id": user["id"] if user else "",
                      "participant_uuid": ids.file_id().upper(), "join_time": ids.iso(ids.now()),
                      "email": email or "", "registrant_id": _registrant_id(store, doc, email or "")}
            store.put(LIVE, f"{doc['uuid']}:{n}", person, parent=doc["uuid"])
            emits.emit("meeting.participant_joined", payloads.participant_joined(doc, doc["_started_at"], person))
            return dict(person)

    def leave(self, meeting_id: Any, participant: dict | str) -> dict:
        """A participant (what :meth:`join` answered, or its ``user_id`` / ``participant_uuid``) leaves."""
        key = participant.get("participant_uuid") if isinstance(participant, dict) else participant
        with self.sandbox.change() as emits:
            store = self.sandbox.store
            doc = self._live(meeting_id)
            for n, person in enumerate(store.list(LIVE, parent=doc["uuid"])):
                if key in (person["participant_uuid"], person["user_id"]):
                    break
            else:
                raise LifeError(404, f"{key!r} is not a participant of meeting {meeting_id}'s running instance")
            if person.get("leave_time"):
                raise LifeError(409, f"participant {key!r} has already left")
            person["leave_time"], person["leave_reason"] = ids.iso(ids.now()), LEFT
            store.put(LIVE, f"{doc['uuid']}:{n}", person, parent=doc["uuid"])
            emits.emit("meeting.participant_left", payloads.participant_left(doc, doc["_started_at"], person))
            return dict(person)

    def end(self, meeting_id: Any) -> dict:
        """The host ends the meeting; its past instance (past-meeting APIs now show it)."""
        with self.sandbox.change() as emits:
            doc = self._live(meeting_id)
            return finish(self.sandbox.store, emits, MEETING, doc, ids.now())

    def recording_ready(self, meeting_id: Any, transcript: list[tuple[str, str]] | None = None) -> dict:
        """The latest ended instance's cloud recording is ready (MP4, M4A and a WebVTT transcript,
        served at ``/rec/download/{file}``); recording.completed. Answers the recording as the event
        describes it, with the ``download_token`` the event carries."""
        with self.sandbox.change() as emits:
            store = self.sandbox.store
            past = self._past(meeting_id)
            if store.get("recording", past["uuid"]) is not None:
                raise LifeError(409, f"the instance {past['uuid']} already has its recording")
            people = store.list("participant", parent=past["uuid"])
            lines = transcript or _transcript(past, people)
            rec = add_recording(store, past, random.Random(), [(str(a), str(b)) for a, b in lines])
            payload = payloads.recording_completed(store, rec, self.sandbox.origin)
            token = "sandbox-download-" + ids.token(n=40)
            emits.emit("recording.completed", payload, download_token=token)
            return dict(payload["object"], download_token=token)

    def summary_ready(self, meeting_id: Any, overview: str | None = None) -> dict:
        """The latest ended instance's AI Companion summary is ready; meeting.summary_completed."""
        with self.sandbox.change() as emits:
            store = self.sandbox.store
            past = self._past(meeting_id)
            if store.get("summary", past["uuid"]) is not None:
                raise LifeError(409, f"the instance {past['uuid']} already has its summary")
            host = find_user(store, past["host_id"]) or {}
            names = [p["name"] for p in store.list("participant", parent=past["uuid"])]
            summary = add_summary(
                store, past, host, overview or f"{past['topic']}: {len(names)} participants met and agreed on next steps.",
                [("Attendance", ", ".join(names) or "the host"), ("Discussion", f"The group discussed {past['topic']}.")],
                ["Share the recording with the team.", "Follow up on open questions."], ids.now())
            emits.emit("meeting.summary_completed", payloads.summary_completed(summary))
            return dict(summary)


def _transcript(past: dict, people: list[dict]) -> list[tuple[str, str]]:
    names = [p["name"] for p in people] or [past.get("user_name") or "Host"]
    lines = [(names[0], f"Welcome, everyone, to {past['topic']}.")]
    lines += [(n, f"Thanks, this is {n}; glad to be here.") for n in names[1:]]
    lines.append((names[0], "Let's wrap up: I will send the notes after the call."))
    return lines
