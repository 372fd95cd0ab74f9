"""Meetings and webinars: create, get, list (with its ``type`` filters),
update, delete (and recover), end, invitation.

Both live as full documents (``meeting`` / ``webinar`` kinds, keyed by the
numeric id) holding every field any meeting response declares; each answer
is that document conformed to the operation's response schema. A deleted
meeting moves to ``meeting_trash`` so that ``status: recover`` can restore it.
Changes to meetings emit Zoom's events (``req.emit``: meeting.created,
updated, deleted, ended; payloads in ``payloads``), sent once the request
has committed.
"""

from __future__ import annotations

import calendar
import copy
import random
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import ids, payloads
from .context import Req, Reply, handles, page
from .errors import documented, meeting_not_found, validation_failed, webinar_not_found
from .store import Store
from .users import find_user, me, resolve_user

MEETING_DEFAULT_SETTINGS: dict[str, Any] = {
    "host_video": False, "participant_video": False, "cn_meeting": False, "in_meeting": False,
    "join_before_host": False, "jbh_time": 0, "mute_upon_entry": False, "watermark": False,
    "use_pmi": False, "approval_type": 2, "audio": "voip", "auto_recording": "none",
    "enforce_login": False, "enforce_login_domains": "", "alternative_hosts": "",
    "alternative_hosts_email_notification": True, "close_registration": False,
    "show_share_button": False, "allow_multiple_devices": False, "registrants_confirmation_email": True,
    "waiting_room": False, "registrants_email_notification": True, "meeting_authentication": False,
    "encryption_type": "enhanced_encryption", "approved_or_denied_countries_or_regions": {"enable": False},
    "breakout_room": {"enable": False}, "internal_meeting": False,
    "continuous_meeting_chat": {"enable": False, "auto_add_invited_external_users": False},
    "participant_focused_meeting": False, "push_change_to_calendar": False,
    "auto_start_meeting_summary": False, "auto_start_ai_companion_questions": False,
    "device_testing": False, "focus_mode": False, "private_meeting": False, "email_notification": True,
    "host_save_video_order": False, "alternative_host_update_polls": False,
    "sign_language_interpretation": {"enable": False}, "language_interpretation": {"enable": False},
    "question_and_answer": {"enable": False},
    "global_dial_in_countries": ["US"],
    "global_dial_in_numbers": [
        {"country_name": "US", "city": "New York", "number": "+1 646 558 8656", "type": "toll", "country": "US"},
        {"country_name": "US", "city": "San Jose", "number": "+1 669 900 6833", "type": "toll", "country": "US"},
    ],
}

WEBINAR_DEFAULT_SETTINGS: dict[str, Any] = {
    "host_video": False, "panelists_video": False, "practice_session": False, "hd_video": False,
    "hd_video_for_attendees": False, "send_1080p_video_to_attendees": False, "approval_type": 2,
    "audio": "voip", "auto_recording": "none", "enforce_login": False, "enforce_login_domains": "",
    "alternative_hosts": "", "alternative_host_update_polls": False, "close_registration": False,
    "show_share_button": False, "allow_multiple_devices": False, "on_demand": False,
    "registrants_confirmation_email": True, "registrants_email_notification": True,
    "registrants_restrict_number": 0, "notify_registrants": True, "post_webinar_survey": False,
    "meeting_authentication": False, "panelist_authentication": False, "add_watermark": False,
    "add_audio_watermark": False, "email_language": "en-US", "panelists_invitation_email_notification": True,
    "question_and_answer": {"enable": True, "allow_anonymous_questions": True, "answer_questions": "all",
                            "attendees_can_comment": True, "attendees_can_upvote": True,
                            "allow_submit_questions": True},
    "attendees_and_panelists_reminder_email_notification": {"enable": True, "type": 0},
    "follow_up_absentees_email_notification": {"enable": False, "type": 0},
    "follow_up_attendees_email_notification": {"enable": False, "type": 0},
    "enable_session_branding": False, "global_dial_in_countries": ["US"],
    "language_interpretation": {"enable": False}, "sign_language_interpretation": {"enable": False},
}


class Kind:
    """What differs between meetings and webinars."""

    def __init__(self, name: str, id_param: str, list_key: str, settings: dict, cap: int,
                 not_found, types_with_registration: tuple[int, ...], recurring_fixed: int,
                 recurring_free: int, default_type: int) -> None:
        self.name, self.id_param, self.list_key = name, id_param, list_key
        self.settings, self.cap, self.not_found = settings, cap, not_found
        self.types_with_registration = types_with_registration
        self.recurring_fixed, self.recurring_free, self.default_type = recurring_fixed, recurring_free, default_type

    @property
    def trash(self) -> str:
        return f"{self.name}_trash"


MEETING = Kind("meeting", "meetingId", "meetings", MEETING_DEFAULT_SETTINGS, 60, meeting_not_found,
               (2, 8), recurring_fixed=8, recurring_free=3, default_type=2)
WEBINAR = Kind("webinar", "webinarId", "webinars", WEBINAR_DEFAULT_SETTINGS, 50, webinar_not_found,
               (5, 9), recurring_fixed=9, recurring_free=6, default_type=5)


# --- time ----------------------------------------------------------------------

def zone(name: str | None) -> timezone | ZoneInfo:
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def parse_start(text: Any, tz_name: str | None) -> datetime | None:
    """Zoom reads a start time without ``Z`` or an offset in the meeting's timezone."""
    if not isinstance(text, str) or not text:
        return None
    t = text.strip()
    has_zone = t.endswith(("Z", "z")) or (len(t) > 19 and t[19:].lstrip(".0123456789")[:1] in ("+", "-"))
    dt = ids.parse_time(t)
    if dt is None:
        return None
    if not has_zone:
        naive = dt.replace(tzinfo=None)
        dt = naive.replace(tzinfo=zone(tz_name)).astimezone(timezone.utc)
    return dt.replace(microsecond=0)


def occurrences(start: datetime, rec: dict, duration: int, tz_name: str, cap: int) -> list[dict]:
    rtype = rec.get("type")
    interval = max(1, int(rec.get("repeat_interval") or 1))
    end_dt = ids.parse_time(rec.get("end_date_time")) if rec.get("end_date_time") else None
    end_times = rec.get("end_times")
    limit = cap if end_dt is not None or end_times == 0 else min(int(end_times or 1), cap)
    local = start.astimezone(zone(tz_name))
    found: list[datetime] = []

    def add(dt: datetime) -> bool:
        if dt < local:
            return True
        if end_dt is not None and dt.astimezone(timezone.utc) > end_dt:
            return False
        found.append(dt)
        return len(found) < limit

    if rtype == 1:
        k = 0
        while add(local + timedelta(days=k * interval)) and k < 1000:
            k += 1
    elif rtype == 2:
        days = sorted({(int(d) - 2) % 7 for d in str(rec.get("weekly_days") or "").split(",") if d.strip().isdigit()})
        days = days or [local.weekday()]
        week0 = local - timedelta(days=local.weekday())
        go = True
        for w in range(0, 520, interval):
            for d in days:
                if not add(week0 + timedelta(days=w * 7 + d)):
                    go = False
                    break
            if not go:
                break
    elif rtype == 3:
        for m in range(0, 240, interval):
            y, mo = divmod(local.month - 1 + m, 12)
            y, mo = local.year + y, mo + 1
            last = calendar.monthrange(y, mo)[1]
            if rec.get("monthly_week") and rec.get("monthly_week_day"):
                want = (int(rec["monthly_week_day"]) - 2) % 7
                days = [d for d in range(1, last + 1) if calendar.weekday(y, mo, d) == want]
                wk = int(rec["monthly_week"])
                day = days[-1] if wk == -1 else days[min(wk, len(days)) - 1]
            else:
                day = min(int(rec.get("monthly_day") or local.day), last)
            if not add(local.replace(year=y, month=mo, day=day)):
                break
    else:
        found = [local]
    return [{"occurrence_id": ids.occurrence_id(dt), "start_time": ids.iso(dt), "duration": duration,
             "status": "available"} for dt in found[:limit]]


def starts(doc: dict) -> list[datetime]:
    """Start times of every scheduled sitting (none for no-fixed-time recurrences)."""
    if doc.get("occurrences"):
        return [ids.parse_time(o["start_time"]) for o in doc["occurrences"] if o.get("status") != "deleted"]
    if doc.get("start_time"):
        return [ids.parse_time(doc["start_time"])]
    return []


def is_live(doc: dict) -> bool:
    return doc.get("status") == "started"


def is_upcoming(doc: dict, now: datetime, kind: Kind) -> bool:
    if is_live(doc) or doc.get("type") == kind.recurring_free:
        return True
    dur = timedelta(minutes=doc.get("duration") or 0)
    return any(s + dur > now for s in starts(doc))


def is_previous(doc: dict, now: datetime) -> bool:
    dur = timedelta(minutes=doc.get("duration") or 0)
    return bool(doc.get("_instances")) or any(s + dur <= now for s in starts(doc))


# --- documents -----------------------------------------------------------------

def deep_merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _unique_number(store: Store, rng: random.Random) -> int:
    while True:
        n = ids.meeting_number(rng)
        if store.get("meeting", n) is None and store.get("webinar", n) is None:
            return n


def _set_password(doc: dict, pwd: str, rng: random.Random) -> None:
    doc["password"] = pwd
    doc["encrypted_password"] = doc["encrypted_passcode"] = ids.token(rng, 32) + ".1" if pwd else ""
    num = ids.digits(rng, 6) if pwd else ""
    doc["h323_password"] = doc["pstn_password"] = doc["h323_passcode"] = num
    doc["join_url"] = ids.join_url(doc["id"], pwd, rng)


def _schedule(doc: dict, kind: Kind, now: datetime) -> None:
    """(Re)compute start_time and occurrences from type, start_time, recurrence."""
    t = doc.get("type")
    if t == 1:
        doc.setdefault("start_time", ids.iso(now))
        doc.pop("occurrences", None)
        doc.pop("recurrence", None)
        return
    if t == kind.recurring_free:
        doc.pop("start_time", None)
        doc.pop("occurrences", None)
        return
    start = ids.parse_time(doc.get("start_time")) or now
    doc["start_time"] = ids.iso(start)
    if t == kind.recurring_fixed:
        occ = occurrences(start, doc.get("recurrence") or {}, doc.get("duration") or 60,
                          doc.get("timezone") or "UTC", kind.cap)
        doc["occurrences"] = occ
        if occ:
            doc["start_time"] = occ[0]["start_time"]
    else:
        doc.pop("occurrences", None)
        doc.pop("recurrence", None)


def _check_recurrence(body: dict, kind: Kind) -> None:
    if body.get("type") == kind.recurring_fixed and not (body.get("recurrence") or {}).get("type"):
        raise validation_failed([{"field": "recurrence.type", "message": "This field is required for a recurring "
                                  f"{kind.name} with a fixed time (type {kind.recurring_fixed})."}])


def _host_for(req: Req, body: dict, requester: dict) -> dict:
    target = body.get("schedule_for")
    if not target:
        return requester
    host = find_user(req.store, target)
    if host is None:
        raise documented(req.action, 400, 300, "The value that you entered in the `schedule_for` field is invalid. "
                         "Enter a valid value and try again.")
    return host


_TOP_LEVEL = ("topic", "type", "duration", "timezone", "agenda", "pre_schedule", "tracking_fields",
              "recurrence", "is_simulive", "record_file_id")


def build(req: Req, kind: Kind, requester: dict, body: dict, rng: random.Random | None = None,
          now: datetime | None = None) -> dict:
    rng = rng or random.Random()
    now = now or req.now
    _check_recurrence(body, kind)
    host = _host_for(req, body, requester)
    number = _unique_number(req.store, rng)
    doc: dict[str, Any] = {
        "uuid": ids.meeting_uuid(rng),
        "id": number,
        "host_id": host["id"],
        "host_email": host["email"],
        "topic": "Zoom meeting" if kind is MEETING else "Zoom webinar",
        "type": kind.default_type,
        "status": "waiting",
        "duration": 60,
        "timezone": host.get("timezone") or "UTC",
        "agenda": "",
        "created_at": ids.iso(now),
        "pre_schedule": False,
        "creation_source": "open_api",
        "settings": copy.deepcopy(kind.settings),
    }
    if host["id"] != requester["id"]:
        doc["assistant_id"] = requester["id"]
    for k in _TOP_LEVEL:
        if k in body:
            doc[k] = copy.deepcopy(body[k])
    doc["settings"] = deep_merge(doc["settings"], body.get("settings") or {})
    start = parse_start(body.get("start_time"), doc["timezone"])
    if start is not None:
        doc["start_time"] = ids.iso(start)
    pwd = body.get("password")
    if pwd is None:
        pwd = ids.passcode(rng)  # the account requires a passcode: Zoom generates one
    doc["start_url"] = ids.start_url(number, rng)
    _set_password(doc, pwd, rng)
    if doc["type"] in kind.types_with_registration and doc["settings"].get("approval_type") in (0, 1):
        doc["registration_url"] = ids.registration_url(number, rng)
    _schedule(doc, kind, now)
    return doc


def apply_update(req: Req, kind: Kind, doc: dict, body: dict) -> dict:
    if body.get("type") == kind.recurring_fixed and not doc.get("recurrence"):
        _check_recurrence(body, kind)
    if "schedule_for" in body:
        host = _host_for(req, body, me(req.store))
        doc["host_id"], doc["host_email"] = host["id"], host["email"]
    occurrence = req.query.get("occurrence_id")
    if occurrence:
        occ = next((o for o in doc.get("occurrences", ()) if o["occurrence_id"] == str(occurrence)), None)
        if occ is None:
            raise documented(req.action, 400, 300, "Invalid parameter: `occurrence_id`.")
        start = parse_start(body.get("start_time"), body.get("timezone") or doc.get("timezone"))
        if start is not None:
            occ["start_time"] = ids.iso(start)
        if "duration" in body:
            occ["duration"] = body["duration"]
        return doc
    for k in _TOP_LEVEL:
        if k in body:
            doc[k] = deep_merge(doc[k], body[k]) if isinstance(body[k], dict) and isinstance(doc.get(k), dict) \
                else copy.deepcopy(body[k])
    if "settings" in body:
        doc["settings"] = deep_merge(doc.get("settings") or {}, body["settings"] or {})
    start = parse_start(body.get("start_time"), doc.get("timezone"))
    if start is not None:
        doc["start_time"] = ids.iso(start)
    if "password" in body:
        _set_password(doc, body["password"] or "", random.Random())
    reg = doc["type"] in kind.types_with_registration and doc["settings"].get("approval_type") in (0, 1)
    if reg and not doc.get("registration_url"):
        doc["registration_url"] = ids.registration_url(doc["id"], random.Random())
    elif not reg:
        doc.pop("registration_url", None)
    if any(k in body for k in ("type", "start_time", "recurrence", "duration", "timezone")):
        _schedule(doc, kind, req.now)
    return doc


def get_doc(req: Req, kind: Kind, value: Any = None) -> dict:
    raw = req.path.get(kind.id_param) if value is None else value
    doc = req.store.get(kind.name, str(raw)) if raw is not None else None
    if doc is None:
        raise kind.not_found(req.action, raw)
    return doc


def registration_enabled(doc: dict, kind: Kind) -> bool:
    return doc.get("type") in kind.types_with_registration and \
        (doc.get("settings") or {}).get("approval_type") in (0, 1)


def save(store: Store, kind: Kind, doc: dict) -> None:
    store.put(kind.name, doc["id"], doc, parent=doc["host_id"])


def _view(doc: dict, req: Req) -> dict:
    out = dict(doc)
    occurrence = req.query.get("occurrence_id")
    if occurrence and doc.get("occurrences"):
        occ = next((o for o in doc["occurrences"] if o["occurrence_id"] == str(occurrence)), None)
        if occ is None:
            raise documented(req.action, 400, 300, "Invalid parameter: `occurrence_id`.")
        out["start_time"], out["duration"] = occ["start_time"], occ.get("duration", doc.get("duration"))
    if doc.get("occurrences") and not req.query.get("show_previous_occurrences"):
        out["occurrences"] = [o for o in doc["occurrences"]
                              if ids.parse_time(o["start_time"]) + timedelta(minutes=o.get("duration") or 0) > req.now]
    out["passcode"] = doc.get("password", "")
    return out


# --- handlers ----------------------------------------------------------------------

def _create(req: Req, kind: Kind):
    requester = resolve_user(req)
    doc = build(req, kind, requester, req.body or {})
    save(req.store, kind, doc)
    if kind is MEETING:
        req.emit("meeting.created", payloads.created(req.store, doc))
    return Reply(_view(doc, req), status=201)


def _list(req: Req, kind: Kind):
    user = resolve_user(req)
    filt = req.q("type", "scheduled")
    docs = req.store.list(kind.name, parent=user["id"])
    if filt == "live":
        docs = [d for d in docs if is_live(d)]
    elif filt in ("upcoming", "upcoming_meetings"):
        docs = [d for d in docs if is_upcoming(d, req.now, kind)]
        docs.sort(key=lambda d: min(starts(d) or [req.now]))
    elif filt == "previous_meetings":
        docs = [d for d in docs if is_previous(d, req.now)]
    lo, hi = req.query.get("from"), req.query.get("to")
    if lo or hi:
        def in_range(d: dict) -> bool:
            day = (d.get("start_time") or "")[:10]
            return bool(day) and (not lo or day >= lo) and (not hi or day <= hi)
        docs = [d for d in docs if in_range(d)]
    return page(req, [_view(d, req) for d in docs], kind.list_key, extra_scope=f"{filt}|{lo}|{hi}")


def _update(req: Req, kind: Kind):
    doc = get_doc(req, kind)
    old = copy.deepcopy(doc)
    apply_update(req, kind, doc, req.body or {})
    save(req.store, kind, doc)
    if kind is MEETING:
        req.emit("meeting.updated", payloads.updated(req.store, old, doc, int(req.now.timestamp() * 1000),
                                                     occurrence=req.query.get("occurrence_id")))
    return None


def _delete(req: Req, kind: Kind):
    doc = get_doc(req, kind)
    occurrence = req.query.get("occurrence_id")
    if occurrence:
        occ = next((o for o in doc.get("occurrences", ()) if o["occurrence_id"] == str(occurrence)), None)
        if occ is None:
            raise documented(req.action, 400, 300, "Invalid parameter: `occurrence_id`.")
        occ["status"] = "deleted"
        save(req.store, kind, doc)
        if kind is MEETING:
            req.emit("meeting.deleted", payloads.deleted(req.store, doc, occurrence=occ))
        return None
    req.store.delete(kind.name, doc["id"])
    req.store.put(kind.trash, doc["id"], doc, parent=doc["host_id"])
    if kind is MEETING:
        req.emit("meeting.deleted", payloads.deleted(req.store, doc))
    return None


def _status(req: Req, kind: Kind):
    action = (req.body or {}).get("action")
    if action == "recover":
        raw = req.path.get(kind.id_param)
        doc = req.store.get(kind.trash, str(raw))
        if doc is not None:
            req.store.delete(kind.trash, doc["id"])
            save(req.store, kind, doc)
            return None
        get_doc(req, kind)  # not deleted: nothing to recover (404 when unknown)
        return None
    doc = get_doc(req, kind)
    if action == "end" and is_live(doc):
        from .life import finish
        finish(req.store, req.emits, kind, doc, req.now)
    return None


@handles("ZOOM_CREATE_A_MEETING")
def create_meeting(req):
    return _create(req, MEETING)


@handles("ZOOM_CREATE_A_WEBINAR")
def create_webinar(req):
    return _create(req, WEBINAR)


@handles("ZOOM_GET_A_MEETING")
def get_meeting(req):
    return _view(get_doc(req, MEETING), req)


@handles("ZOOM_GET_A_WEBINAR")
def get_webinar(req):
    return _view(get_doc(req, WEBINAR), req)


@handles("ZOOM_LIST_MEETINGS")
def list_meetings(req):
    return _list(req, MEETING)


@handles("ZOOM_LIST_WEBINARS")
def list_webinars(req):
    return _list(req, WEBINAR)


@handles("ZOOM_LIST_UPCOMING_MEETINGS")
def list_upcoming(req):
    user = resolve_user(req)
    docs = [d for d in req.store.list("meeting", parent=user["id"]) if is_upcoming(d, req.now, MEETING)]
    docs.sort(key=lambda d: min(starts(d) or [req.now]))
    return {"total_records": len(docs), "meetings": [_view(d, req) for d in docs]}


@handles("ZOOM_UPDATE_A_MEETING")
def update_meeting(req):
    return _update(req, MEETING)


@handles("ZOOM_UPDATE_A_WEBINAR")
def update_webinar(req):
    return _update(req, WEBINAR)


@handles("ZOOM_DELETE_A_MEETING")
def delete_meeting(req):
    return _delete(req, MEETING)


@handles("ZOOM_DELETE_A_WEBINAR")
def delete_webinar(req):
    return _delete(req, WEBINAR)


@handles("ZOOM_UPDATE_MEETING_STATUS")
def meeting_status(req):
    return _status(req, MEETING)


@handles("ZOOM_UPDATE_WEBINAR_STATUS")
def webinar_status(req):
    _status(req, WEBINAR)
    return Reply(None)


@handles("ZOOM_GET_MEETING_INVITATION")
def invitation(req):
    doc = get_doc(req, MEETING)
    host = find_user(req.store, doc["host_id"]) or {"display_name": doc.get("host_email", "")}
    number = str(doc["id"])
    spaced = f"{number[:3]} {number[3:7]} {number[7:]}"
    when = ""
    if doc.get("start_time"):
        start = ids.parse_time(doc["start_time"]).astimezone(zone(doc.get("timezone")))
        when = f"Time: {start.strftime('%b %d, %Y %I:%M %p')} {doc.get('timezone', 'UTC')}\n"
        if doc.get("occurrences"):
            when += "Every occurrence of this recurring meeting uses the same link.\n"
    text = (f"{host.get('display_name', '')} is inviting you to a scheduled Zoom meeting.\n\n"
            f"Topic: {doc.get('topic', '')}\n{when}\n"
            f"Join Zoom Meeting\n{doc['join_url']}\n\n"
            f"Meeting ID: {spaced}\n"
            + (f"Passcode: {doc['password']}\n" if doc.get("password") else "")
            + "\n---\n\nOne tap mobile\n"
            f"+16465588656,,{number}#" + (f",,,,*{doc['pstn_password']}#" if doc.get("pstn_password") else "")
            + " US (New York)\n\nDial by your location\n• +1 646 558 8656 US (New York)\n"
            f"• +1 669 900 6833 US (San Jose)\n\nMeeting ID: {spaced}\n"
            + (f"Passcode: {doc['pstn_password']}\n" if doc.get("pstn_password") else "")
            + "\nFind your local number: https://us05web.zoom.us/u/kdsBvQxNe\n")
    return {"invitation": text, "sip_links": [f"{number}.{doc.get('pstn_password') or '0'}@zoomcrc.com"]}
