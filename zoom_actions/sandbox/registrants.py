"""Meeting and webinar registrants: add, list (by status), get, delete,
approve / deny / cancel.

Registration is open only where Zoom opens it: scheduled or recurring
fixed-time meetings (types 2, 8) and webinars (5, 9) whose
``settings.approval_type`` is 0 (approve automatically) or 1 (manually);
the default, 2, means no registration. Adding an email that is already
registered answers the existing registration, as Zoom does.
"""

from __future__ import annotations

import random
from typing import Any

from . import ids, payloads
from .context import Req, Reply, handles, page
from .errors import ZoomError, documented
from .meetings import MEETING, WEBINAR, Kind, get_doc, registration_enabled
from .store import Store

_FIELDS = ("first_name", "last_name", "email", "address", "city", "state", "zip", "country", "phone",
           "comments", "custom_questions", "industry", "job_title", "no_of_employees", "org",
           "purchasing_time_frame", "role_in_purchase_process", "language")


def _kind_name(kind: Kind) -> str:
    return f"{kind.name}_registrant"


def _key(doc_id: Any, registrant_id: str) -> str:
    return f"{doc_id}:{registrant_id}"


def _closed(req: Req, kind: Kind, doc: dict) -> ZoomError:
    if kind is WEBINAR:
        return documented(req.action, 400, 3000, "This webinar does not have registration as required: {webinarId}.",
                          webinarId=doc["id"])
    return ZoomError(400, 300, f"Registration has not been enabled for this meeting: {doc['id']}.")


def not_found(req: Req, registrant_id: str) -> ZoomError:
    for status, entries in req.action.get("errors", {}).items():
        for e in entries:
            if e.get("code") == 3079:
                return documented(req.action, int(status), 3079, e["message"], registrantId=registrant_id)
    return ZoomError(404, 3079, f"This registrant does not exist: {registrant_id}.")


def find_registrant(store: Store, kind: Kind, doc: dict, email: str) -> dict | None:
    for r in store.list(_kind_name(kind), parent=doc["id"]):
        if r["email"].lower() == email.lower():
            return r
    return None


def add_registrant(store: Store, kind: Kind, doc: dict, body: dict, rng: random.Random, now_iso: str,
                   status: str | None = None) -> dict:
    existing = find_registrant(store, kind, doc, body["email"])
    if existing is not None:
        return existing
    approval = (doc.get("settings") or {}).get("approval_type")
    if status is None:
        status = "approved" if approval == 0 or body.get("auto_approve") else "pending"
    rid = ids.short_id(rng)
    reg = {k: body[k] for k in _FIELDS if k in body}
    reg.update({
        "id": rid,
        "registrant_id": rid,
        "status": status,
        "create_time": now_iso,
        "join_url": ids.registrant_join_url(doc["id"], rng),
        "participant_pin_code": int(ids.digits(rng, 6)),
    })
    reg.setdefault("last_name", "")
    reg.setdefault("custom_questions", [])
    store.put(_kind_name(kind), _key(doc["id"], rid), reg, parent=doc["id"])
    return reg


def _open_doc(req: Req, kind: Kind) -> dict:
    doc = get_doc(req, kind)
    if not registration_enabled(doc, kind):
        raise _closed(req, kind, doc)
    return doc


def _add(req: Req, kind: Kind):
    doc = _open_doc(req, kind)
    body = req.body or {}
    known = find_registrant(req.store, kind, doc, body["email"]) is not None
    reg = add_registrant(req.store, kind, doc, body, random.Random(), ids.iso(req.now))
    if kind is MEETING and not known:   # Zoom answers an already registered email without a new registration
        req.emit("meeting.registration_created", payloads.registration_created(req.store, doc, reg))
    answer = {"id": doc["id"], "registrant_id": reg["id"], "join_url": reg["join_url"],
              "topic": doc.get("topic", ""), "participant_pin_code": reg["participant_pin_code"]}
    if doc.get("start_time"):
        answer["start_time"] = doc["start_time"]
    if doc.get("occurrences"):
        answer["occurrences"] = doc["occurrences"]
    return Reply(answer, status=201)


def _list(req: Req, kind: Kind):
    doc = get_doc(req, kind)
    status = req.q("status", "approved")
    regs = [r for r in req.store.list(_kind_name(kind), parent=doc["id"]) if r.get("status") == status]
    return page(req, regs, "registrants", extra_scope=status)


def _get_reg(req: Req, kind: Kind) -> tuple[dict, dict]:
    doc = get_doc(req, kind)
    rid = str(req.path.get("registrantId"))
    reg = req.store.get(_kind_name(kind), _key(doc["id"], rid))
    if reg is None:
        raise not_found(req, rid)
    return doc, reg


def _get(req: Req, kind: Kind):
    return _get_reg(req, kind)[1]


def _delete(req: Req, kind: Kind):
    doc, reg = _get_reg(req, kind)
    req.store.delete(_kind_name(kind), _key(doc["id"], reg["id"]))
    return None


_NEXT = {"approve": "approved", "deny": "denied", "cancel": "denied"}


def _status(req: Req, kind: Kind):
    doc = _open_doc(req, kind)
    body = req.body or {}
    new = _NEXT[body["action"]]
    wanted = body.get("registrants")
    for reg in req.store.list(_kind_name(kind), parent=doc["id"]):
        if wanted is not None and not any(
                (w.get("id") and w["id"] == reg["id"]) or
                (w.get("email") and w["email"].lower() == reg["email"].lower()) for w in wanted):
            continue
        if body["action"] == "cancel" and reg["status"] != "approved":
            continue
        reg["status"] = new
        req.store.put(_kind_name(kind), _key(doc["id"], reg["id"]), reg, parent=doc["id"])
    return None


@handles("ZOOM_ADD_A_MEETING_REGISTRANT")
def add_meeting_registrant(req):
    return _add(req, MEETING)


@handles("ZOOM_ADD_A_WEBINAR_REGISTRANT")
def add_webinar_registrant(req):
    return _add(req, WEBINAR)


@handles("ZOOM_LIST_MEETING_REGISTRANTS")
def list_meeting_registrants(req):
    return _list(req, MEETING)


@handles("ZOOM_LIST_WEBINAR_REGISTRANTS")
def list_webinar_registrants(req):
    return _list(req, WEBINAR)


@handles("ZOOM_GET_A_MEETING_REGISTRANT")
def get_meeting_registrant(req):
    return _get(req, MEETING)


@handles("ZOOM_GET_A_WEBINAR_REGISTRANT")
def get_webinar_registrant(req):
    return _get(req, WEBINAR)


@handles("ZOOM_DELETE_A_MEETING_REGISTRANT")
def delete_meeting_registrant(req):
    return _delete(req, MEETING)


@handles("ZOOM_DELETE_A_WEBINAR_REGISTRANT")
def delete_webinar_registrant(req):
    return _delete(req, WEBINAR)


@handles("ZOOM_UPDATE_REGISTRANT_S_STATUS")
def meeting_registrant_status(req):
    return _status(req, MEETING)


@handles("ZOOM_UPDATE_REGISTRANT_S_STATUS_WEBINARS")
def webinar_registrant_status(req):
    return _status(req, WEBINAR)
