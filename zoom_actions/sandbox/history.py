"""What happened in meetings that ended: past instances and their
participants, cloud recordings (with a WebVTT transcript the sandbox serves
itself) and AI Companion meeting summaries.

Each instance of a meeting has its own UUID; a path's ``meetingId`` may be
the numeric id (the latest instance) or an instance's UUID.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from . import ids
from .context import Req, handles, page
from .errors import ZoomError, documented, meeting_not_found, webinar_not_found
from .meetings import MEETING, WEBINAR, Kind, save
from .store import Store
from .users import ACCOUNT_ID, find_user, resolve_user

PAST = {"meeting": "past_meeting", "webinar": "past_webinar"}
PARTICIPANTS = {"meeting": "participant", "webinar": "webinar_participant"}


# --- recording instances ----------------------------------------------------------

def record_instance(store: Store, kind: Kind, doc: dict, start: datetime, end: datetime,
                    people: list[dict], rng: random.Random, *, uuid: str | None = None) -> dict:
    """Store one ended instance of ``doc`` with its participants; answer it."""
    host = find_user(store, doc["host_id"]) or {}
    uuid = uuid or doc["uuid"]
    minutes = max(1, int((end - start).total_seconds() // 60))
    past = {
        "uuid": uuid, "id": doc["id"], "host_id": doc["host_id"], "type": doc.get("type", 2),
        "topic": doc.get("topic", ""), "user_name": host.get("display_name", ""),
        "user_email": host.get("email", doc.get("host_email", "")), "start_time": ids.iso(start),
        "end_time": ids.iso(end), "duration": minutes, "total_minutes": 0, "participants_count": len(people),
        "dept": host.get("dept", ""), "source": "Zoom", "timezone": doc.get("timezone", "UTC"),
    }
    total = 0
    for i, p in enumerate(people):
        join = start + timedelta(seconds=p.get("join_offset_s", 0))
        leave = min(end, join + timedelta(seconds=p.get("stay_s", (end - start).total_seconds())))
        seconds = max(1, int((leave - join).total_seconds()))
        total += seconds
        user = find_user(store, p["email"]) if p.get("email") else None
        part = {
            "id": user["id"] if user else "",
            "user_id": p.get("user_id") or str(16778240 + i),
            "name": p["name"], "user_email": p.get("email", ""),
            "join_time": ids.iso(join), "leave_time": ids.iso(leave), "duration": seconds,
            "failover": False, "status": "in_meeting", "internal_user": bool(user),
            "registrant_id": p.get("registrant_id", ""),
        }
        store.put(PARTICIPANTS[kind.name], f"{uuid}:{i}", part, parent=uuid)
    past["total_minutes"] = total // 60
    store.put(PAST[kind.name], uuid, past, parent=str(doc["id"]))
    return past


def end_instance(store: Store, kind: Kind, doc: dict, now: datetime, people: list[dict] | None = None) -> dict:
    """``status: end`` on a live meeting: its instance becomes past, the
    meeting waits again under a fresh UUID. ``people``: who was in it (as
    ``record_instance`` takes them; the sandbox's life driver knows), else
    the host alone. Answers the past instance."""
    started = ids.parse_time(doc.get("_started_at")) or now - timedelta(minutes=30)
    host = find_user(store, doc["host_id"]) or {}
    if not people:
        people = [{"name": host.get("display_name", "Host"), "email": host.get("email", "")}]
    past = record_instance(store, kind, doc, started, now, people, random.Random())
    doc["status"] = "waiting"
    doc["uuid"] = ids.meeting_uuid()
    doc["_instances"] = int(doc.get("_instances") or 0) + 1
    doc.pop("_started_at", None)
    save(store, kind, doc)
    return past


def instances(store: Store, kind: Kind, key: Any) -> list[dict]:
    """Ended instances for a numeric id (oldest first) or one UUID."""
    k = str(key)
    if k.isdigit():
        return sorted(store.list(PAST[kind.name], parent=k), key=lambda d: d["start_time"])
    one = store.get(PAST[kind.name], k)
    return [one] if one else []


def _latest(req: Req, kind: Kind, key: Any) -> dict:
    found = instances(req.store, kind, key)
    if not found:
        raise (meeting_not_found if kind is MEETING else webinar_not_found)(req.action, key)
    return found[-1]


def _known(store: Store, kind: Kind, key: Any) -> bool:
    return str(key).isdigit() and (store.get(kind.name, str(key)) is not None
                                   or store.get(kind.trash, str(key)) is not None)


@handles("ZOOM_GET_PAST_MEETING_DETAILS")
def past_meeting(req: Req):
    return _latest(req, MEETING, req.path["meetingId"])


@handles("ZOOM_LIST_PAST_MEETING_INSTANCES")
def past_meeting_instances(req: Req):
    key = req.path["meetingId"]
    found = instances(req.store, MEETING, key)
    if not found and not _known(req.store, MEETING, key):
        raise meeting_not_found(req.action, key)
    return {"meetings": [{"uuid": d["uuid"], "start_time": d["start_time"]} for d in reversed(found)]}


@handles("ZOOM_LIST_PAST_WEBINAR_INSTANCES")
def past_webinar_instances(req: Req):
    key = req.path["webinarId"]
    found = instances(req.store, WEBINAR, key)
    if not found and not _known(req.store, WEBINAR, key):
        raise webinar_not_found(req.action, key)
    return {"webinars": [{"uuid": d["uuid"], "start_time": d["start_time"]} for d in reversed(found)]}


def _participants(req: Req, kind: Kind, key: Any):
    inst = _latest(req, kind, key)
    people = req.store.list(PARTICIPANTS[kind.name], parent=inst["uuid"])
    return page(req, people, "participants")


@handles("ZOOM_GET_PAST_MEETING_PARTICIPANTS")
def past_meeting_participants(req: Req):
    return _participants(req, MEETING, req.path["meetingId"])


@handles("ZOOM_LIST_WEBINAR_PARTICIPANTS")
def past_webinar_participants(req: Req):
    return _participants(req, WEBINAR, req.path["webinarId"])


# --- cloud recordings -------------------------------------------------------------

_EXT = {"MP4": "MP4", "M4A": "M4A", "TRANSCRIPT": "VTT", "CHAT": "TXT", "CC": "VTT", "SUMMARY": "JSON"}
_MIME = {"VTT": "text/vtt", "TXT": "text/plain", "JSON": "application/json", "MP4": "video/mp4", "M4A": "audio/mp4"}


def vtt(lines: list[tuple[str, str]], start_s: int = 0, step_s: int = 7) -> str:
    out = ["WEBVTT", ""]
    t = start_s
    for i, (who, text) in enumerate(lines, 1):
        a, b = t, t + step_s - 1
        out += [str(i), f"{_ts(a)} --> {_ts(b)}", f"{who}: {text}", ""]
        t += step_s
    return "\n".join(out)


def _ts(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}.000"


def add_recording(store: Store, past: dict, rng: random.Random, transcript: list[tuple[str, str]],
                  chat: list[tuple[str, str]] = ()) -> dict:
    start, end = ids.parse_time(past["start_time"]), ids.parse_time(past["end_time"])
    seconds = int((end - start).total_seconds())
    files, texts = [], {}

    def add(file_type: str, recording_type: str, size: int, text: str | None = None) -> None:
        fid = ids.file_id(rng)
        files.append({"id": fid, "meeting_id": past["uuid"], "recording_start": past["start_time"],
                      "recording_end": past["end_time"], "file_type": file_type,
                      "file_extension": _EXT[file_type], "file_size": size, "status": "completed",
                      "recording_type": recording_type})
        if text is not None:
            texts[fid] = text

    add("MP4", "shared_screen_with_speaker_view", 1_200_000 * max(1, seconds // 60))
    add("M4A", "audio_only", 120_000 * max(1, seconds // 60))
    tr = vtt(transcript)
    add("TRANSCRIPT", "audio_transcript", len(tr.encode()), tr)
    if chat:
        ct = "\n".join(f"00:{i * 3 + 1:02d}:12\t From  {who} : {text}" for i, (who, text) in enumerate(chat))
        add("CHAT", "chat_file", len(ct.encode()), ct)
    rec = {
        "uuid": past["uuid"], "id": past["id"], "account_id": ACCOUNT_ID, "host_id": past["host_id"],
        "topic": past["topic"], "type": str(past.get("type", 2)), "start_time": past["start_time"],
        "timezone": past.get("timezone", "UTC"), "duration": past["duration"],
        "total_size": sum(f["file_size"] for f in files), "recording_count": len(files),
        "share_url": f"https://us05web.zoom.us/rec/share/{ids.token(rng, 40)}",
        "password": ids.passcode(rng, 8), "recording_play_passcode": ids.token(rng, 32),
        "auto_delete": False, "recording_files": files, "_texts": texts, "_trashed": False,
    }
    store.put("recording", past["uuid"], rec, parent=str(past["id"]))
    return rec


def _render(req: Req, rec: dict) -> dict:
    out = dict(rec)
    out["recording_files"] = [dict(f, download_url=f"{req.origin}/rec/download/{f['id']}",
                                   play_url=f"{req.origin}/rec/play/{f['id']}")
                              for f in rec["recording_files"]]
    out["recording_count"] = len(out["recording_files"])
    if "download_access_token" in str(req.query.get("include_fields") or ""):
        out["download_access_token"] = "sandbox-download-" + ids.token(n=24)
    return out


def _recordings_of(store: Store, key: Any, *, trashed: bool = False) -> list[dict]:
    k = str(key)
    if k.isdigit():
        recs = store.list("recording", parent=k)
    else:
        one = store.get("recording", k)
        recs = [one] if one else []
    return sorted((r for r in recs if bool(r.get("_trashed")) == trashed), key=lambda r: r["start_time"])


def _no_recording(req: Req) -> ZoomError:
    return documented(req.action, 404, 3301, "There is no recording for this meeting.")


@handles("ZOOM_GET_MEETING_RECORDINGS")
def get_recordings(req: Req):
    recs = _recordings_of(req.store, req.path["meetingId"])
    if not recs:
        raise _no_recording(req)
    return _render(req, recs[-1])


@handles("ZOOM_LIST_ALL_RECORDINGS")
def list_recordings(req: Req):
    user = resolve_user(req)
    trash = bool(req.q("trash", False))
    today = req.now.date()
    lo = req.query.get("from") or today.isoformat()
    hi = req.query.get("to") or (today + timedelta(days=1)).isoformat()
    mid = req.query.get("meeting_id")
    recs = [r for r in req.store.list("recording") if r["host_id"] == user["id"]
            and bool(r.get("_trashed")) == trash and (mid is None or str(r["id"]) == str(mid))
            and (trash or lo <= r["start_time"][:10] <= hi)]
    recs.sort(key=lambda r: r["start_time"], reverse=True)
    out = page(req, [_render(req, r) for r in recs], "meetings", extra_scope=f"{lo}|{hi}|{trash}|{mid}")
    out["from"], out["to"] = lo, hi
    return out


@handles("ZOOM_DELETE_MEETING_RECORDINGS")
def delete_recordings(req: Req):
    recs = _recordings_of(req.store, req.path["meetingId"])
    if not recs:
        raise _no_recording(req)
    targets = recs if str(req.path["meetingId"]).isdigit() else recs[-1:]
    for rec in targets:
        if req.q("action", "trash") == "delete":
            req.store.delete("recording", rec["uuid"])
        else:
            rec["_trashed"] = True
            req.store.put("recording", rec["uuid"], rec, parent=str(rec["id"]))
    return None


@handles("ZOOM_RECOVER_MEETING_RECORDINGS")
def recover_recordings(req: Req):
    recs = _recordings_of(req.store, req.path["meetingUUID"], trashed=True)
    if not recs:
        raise _no_recording(req)
    for rec in recs:
        rec["_trashed"] = False
        req.store.put("recording", rec["uuid"], rec, parent=str(rec["id"]))
    return None


@handles("ZOOM_DELETE_A_RECORDING_FILE_FOR_A_MEETING_OR_WEBINAR")
def delete_recording_file(req: Req):
    for rec in _recordings_of(req.store, req.path["meetingId"]):
        files = [f for f in rec["recording_files"] if f["id"] != req.path["recordingId"]]
        if len(files) != len(rec["recording_files"]):
            rec["recording_files"] = files
            rec["_texts"].pop(req.path["recordingId"], None)
            req.store.put("recording", rec["uuid"], rec, parent=str(rec["id"]))
            return None
    raise _no_recording(req)


def recording_file(store: Store, file_id: str) -> tuple[str, bytes] | None:
    """(content type, bytes) of a stored recording file, for /rec/download."""
    for rec in store.list("recording"):
        for f in rec["recording_files"]:
            if f["id"] == file_id:
                text = rec.get("_texts", {}).get(file_id)
                if text is None:
                    text = f"Sandbox {f['file_type']} recording of {rec['topic']!r}: no media is stored.\n"
                    return "text/plain; charset=utf-8", text.encode()
                return _MIME.get(f["file_extension"], "text/plain") + "; charset=utf-8", text.encode()
    return None


# --- AI Companion meeting summaries ---------------------------------------------------

def add_summary(store: Store, past: dict, host: dict, overview: str, details: list[tuple[str, str]],
                next_steps: list[str], created: datetime) -> dict:
    summ = {
        "meeting_host_id": past["host_id"], "meeting_host_email": host.get("email", ""),
        "meeting_uuid": past["uuid"], "meeting_id": past["id"], "meeting_topic": past["topic"],
        "meeting_start_time": past["start_time"], "meeting_end_time": past["end_time"],
        "summary_start_time": past["start_time"], "summary_end_time": past["end_time"],
        "summary_created_time": ids.iso(created), "summary_last_modified_time": ids.iso(created),
        "summary_title": f"Meeting summary for {past['topic']}", "summary_overview": overview,
        "summary_details": [{"label": a, "summary": b} for a, b in details], "next_steps": next_steps,
    }
    store.put("summary", past["uuid"], summ, parent=str(past["id"]))
    return summ


@handles("ZOOM_GET_A_MEETING_SUMMARY")
def get_summary(req: Req):
    key = str(req.path["meetingId"])
    if key.isdigit():
        found = sorted(req.store.list("summary", parent=key), key=lambda s: s["meeting_start_time"])
        summ = found[-1] if found else None
    else:
        summ = req.store.get("summary", key)
    if summ is None:
        if instances(req.store, MEETING, key) or _known(req.store, MEETING, key):
            raise ZoomError(404, 3001, "Meeting summary does not exist: no AI Companion summary was made for "
                                       f"this meeting ({key}).")
        raise meeting_not_found(req.action, key)
    return summ


@handles("ZOOM_LIST_AN_ACCOUNT_S_MEETING_SUMMARIES")
def list_summaries(req: Req):
    lo = ids.parse_time(req.query.get("from") or "")
    hi = ids.parse_time(req.query.get("to") or "")
    out = []
    for s in req.store.list("summary"):
        created = ids.parse_time(s["summary_created_time"])
        if (lo is None or created >= lo) and (hi is None or created <= hi):
            out.append(s)
    out.sort(key=lambda s: s["summary_created_time"], reverse=True)
    result = page(req, out, "summaries", extra_scope=f"{lo}|{hi}")
    if req.query.get("from"):
        result["from"] = req.query["from"]
    if req.query.get("to"):
        result["to"] = req.query["to"]
    return result
