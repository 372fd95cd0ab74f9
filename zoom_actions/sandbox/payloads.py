"""Zoom's event payloads, built from the sandbox's documents.

Each function answers the ``payload`` of one event type, shaped as that
event's schema in Zoom's events documents says (``actions/events.json``,
``payload_schema``). Those schemas differ where it is easy to slip:
``meeting.started``/``ended`` and the participant events carry the meeting
id as a *string* and allow no other fields; ``meeting.created`` and
``meeting.registration_created`` carry it as an integer;
``meeting.participant_left`` has ``leave_time`` but no ``join_time``;
``recording.completed`` wants ``type`` as an integer (the REST API answers
a string) and puts ``download_token`` beside ``payload``, not inside it.
"""

from __future__ import annotations

import copy
from typing import Any

from .store import Store
from .users import ACCOUNT_ID, find_user, me

# What meeting.created / meeting.updated describe of a meeting (the schemas' object properties).
_MEETING_FIELDS = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone", "join_url",
                   "password", "agenda", "registration_url", "pmi", "occurrences", "settings", "recurrence",
                   "tracking_fields")
_UPDATABLE = ("topic", "type", "start_time", "duration", "timezone", "join_url", "password", "agenda",
              "registration_url", "occurrences", "settings", "recurrence", "tracking_fields")


def _operator(store: Store) -> dict:
    """Who made an API change: the token's user (the sandbox's ``me``)."""
    user = me(store)
    return {"operator": user["email"], "operator_id": user["id"]}


def _occurrences(doc: dict) -> list[dict]:
    return [{k: o[k] for k in ("occurrence_id", "start_time", "duration", "status") if k in o}
            for o in doc.get("occurrences") or ()]


def meeting_object(doc: dict) -> dict:
    out = {k: copy.deepcopy(doc[k]) for k in _MEETING_FIELDS if k in doc and k not in ("occurrences",)}
    if doc.get("occurrences"):
        out["occurrences"] = _occurrences(doc)
    return out


def created(store: Store, doc: dict) -> dict:
    return {"account_id": ACCOUNT_ID, **_operator(store), "object": meeting_object(doc)}


def _diff_settings(old: dict, new: dict) -> tuple[dict, dict]:
    after = {k: copy.deepcopy(v) for k, v in new.items() if old.get(k) != v}
    before = {k: copy.deepcopy(old[k]) for k in after if k in old}
    return after, before


def updated(store: Store, old: dict, new: dict, now_ms: int, *, occurrence: str | None = None) -> dict:
    """``object`` and ``old_object`` hold the meeting's id and the fields that changed (settings: the
    changed settings only), as Zoom sends them; ``scope`` "single" when one occurrence changed."""
    after: dict[str, Any] = {"id": new["id"]}
    before: dict[str, Any] = {"id": old["id"]}
    for k in _UPDATABLE:
        if old.get(k) == new.get(k):
            continue
        if k == "settings":
            after[k], before[k] = _diff_settings(old.get(k) or {}, new.get(k) or {})
        elif k == "occurrences":
            after[k], before[k] = _occurrences(new), _occurrences(old)
        else:
            if k in new:
                after[k] = copy.deepcopy(new[k])
            if k in old:
                before[k] = copy.deepcopy(old[k])
    if "uuid" in new:
        after["uuid"] = before["uuid"] = new["uuid"]
    payload = {"account_id": ACCOUNT_ID, **_operator(store), "object": after, "old_object": before,
               "time_stamp": now_ms}
    if new.get("occurrences") or old.get("occurrences"):
        payload["scope"] = "single" if occurrence else "all"
    return payload


def deleted(store: Store, doc: dict, *, occurrence: dict | None = None) -> dict:
    obj = {k: doc[k] for k in ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone")
           if k in doc}
    payload = {"account_id": ACCOUNT_ID, **_operator(store), "object": obj}
    if occurrence is not None:
        obj["occurrences"] = [{"occurrence_id": occurrence["occurrence_id"], "start_time": occurrence["start_time"]}]
        payload["operation"] = "single"
    elif doc.get("occurrences"):
        payload["operation"] = "all"
    return payload


def _live_object(doc: dict, started_at: str) -> dict:
    """The meeting as meeting.started / ended / participant_* describe it: the id as a string."""
    return {"id": str(doc["id"]), "uuid": doc["uuid"], "host_id": doc["host_id"], "topic": doc.get("topic", ""),
            "type": doc.get("type", 2), "start_time": started_at, "timezone": doc.get("timezone", "UTC"),
            "duration": int(doc.get("duration") or 0)}


def started(doc: dict, started_at: str) -> dict:
    return {"account_id": ACCOUNT_ID, "object": _live_object(doc, started_at)}


def ended(doc: dict, started_at: str, ended_at: str) -> dict:
    return {"account_id": ACCOUNT_ID, "object": {**_live_object(doc, started_at), "end_time": ended_at}}


_JOINED = ("user_id", "user_name", "id", "participant_uuid", "join_time", "email", "registrant_id")
_LEFT = ("user_id", "user_name", "id", "participant_uuid", "leave_time", "leave_reason", "email", "registrant_id")


def participant_joined(doc: dict, started_at: str, person: dict) -> dict:
    who = {k: person[k] for k in _JOINED if person.get(k) is not None and (k != "registrant_id" or person[k])}
    return {"account_id": ACCOUNT_ID, "object": {**_live_object(doc, started_at), "participant": who}}


def participant_left(doc: dict, started_at: str, person: dict) -> dict:
    who = {k: person[k] for k in _LEFT if person.get(k) is not None and (k != "registrant_id" or person[k])}
    return {"account_id": ACCOUNT_ID, "object": {**_live_object(doc, started_at), "participant": who}}


_RECORDING = ("id", "uuid", "host_id", "account_id", "topic", "start_time", "password", "timezone", "duration",
              "share_url", "total_size", "recording_count", "recording_play_passcode", "auto_delete")
_FILE = ("id", "meeting_id", "recording_start", "recording_end", "file_type", "file_size", "file_extension",
         "status", "recording_type")


def recording_completed(store: Store, rec: dict, origin: str) -> dict:
    """The payload of recording.completed; its ``download_url``s are the sandbox's own ``/rec/download``
    (fetched with ``Authorization: Bearer <download_token>``, as from Zoom)."""
    host = find_user(store, rec["host_id"]) or {}
    obj = {k: rec[k] for k in _RECORDING if k in rec}
    obj["type"] = int(rec.get("type") or 2)
    obj["host_email"] = host.get("email", "")
    obj["recording_files"] = [dict({k: f[k] for k in _FILE if k in f},
                                   download_url=f"{origin}/rec/download/{f['id']}",
                                   play_url=f"{origin}/rec/play/{f['id']}")
                              for f in rec["recording_files"]]
    obj["recording_count"] = len(obj["recording_files"])
    return {"account_id": ACCOUNT_ID, "object": obj}


def summary_completed(summary: dict) -> dict:
    return {"account_id": ACCOUNT_ID, "object": copy.deepcopy(summary)}


_REGISTRANT = ("id", "first_name", "last_name", "email", "address", "city", "country", "zip", "state", "phone",
               "industry", "org", "job_title", "purchasing_time_frame", "role_in_purchase_process",
               "no_of_employees", "comments", "custom_questions", "status", "join_url", "participant_pin_code")


def registration_created(store: Store, doc: dict, registrant: dict) -> dict:
    obj = {k: doc[k] for k in ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone")
           if k in doc}
    if doc.get("occurrences"):
        obj["occurrences"] = [{"occurrence_id": o["occurrence_id"], "start_time": o["start_time"]}
                              for o in doc["occurrences"]]
    obj["registrant"] = {k: copy.deepcopy(registrant[k]) for k in _REGISTRANT if k in registrant}
    return {"account_id": ACCOUNT_ID, **_operator(store), "object": obj}
