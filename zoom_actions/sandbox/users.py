"""Users: ``me`` (the token's user) and the account's other users."""

from __future__ import annotations

import random
from typing import Any

from . import ids
from .context import Req, Reply, handles, page
from .errors import ZoomError, documented, user_not_found, validation_failed
from .store import Store

ACCOUNT_ID = "sbxAcct7Qm2ZkLx0vR9aWq"
ACCOUNT_NUMBER = 10049271


def new_user(rng: random.Random, *, first: str, last: str, email: str, type_: int = 2, role: str = "Member",
             status: str = "active", dept: str = "", job_title: str = "", tz: str = "America/Los_Angeles",
             created: str | None = None, uid: str | None = None) -> dict:
    pmi = rng.randint(2_000_000_000, 9_999_999_999)
    role_id = {"Owner": "0", "Admin": "1", "Member": "2"}.get(role, "2")
    created = created or ids.iso(ids.now())
    return {
        "id": uid or ids.short_id(rng),
        "first_name": first,
        "last_name": last,
        "display_name": f"{first} {last}".strip(),
        "email": email,
        "type": type_,
        "role_name": role,
        "role_id": role_id,
        "pmi": pmi,
        "use_pmi": False,
        "personal_meeting_url": f"https://us05web.zoom.us/j/{pmi}?pwd={ids.token(rng, 32)}.1",
        "timezone": tz,
        "verified": 1,
        "dept": dept,
        "job_title": job_title,
        "created_at": created,
        "user_created_at": created,
        "last_login_time": created,
        "last_client_version": "6.2.5.41699(mac)",
        "pic_url": "",
        "language": "en-US",
        "phone_number": "",
        "status": status,
        "account_id": ACCOUNT_ID,
        "account_number": ACCOUNT_NUMBER,
        "cluster": "us05",
        "host_key": ids.digits(rng, 6),
        "jid": f"{ids.short_id(rng).lower()}@xmpp.zoom.us",
        "group_ids": [],
        "im_group_ids": [],
        "login_types": [100],
        "cms_user_id": "",
        "plan_united_type": "1",
        "zoom_one_type": 64 if type_ == 2 else 0,
    }


def me(store: Store) -> dict:
    meta = store.get("meta", "me") or {}
    user = store.get("user", meta.get("id", ""))
    if user is None:
        raise ZoomError(404, 1001, "User does not exist: me.")
    return user


def find_user(store: Store, user_id: Any) -> dict | None:
    if user_id is None:
        return None
    uid = str(user_id)
    if uid == "me":
        return me(store)
    user = store.get("user", uid)
    if user is None and "@" in uid:
        for u in store.list("user"):
            if u.get("email", "").lower() == uid.lower():
                return u
    return user


def resolve_user(req: Req, user_id: Any = None) -> dict:
    uid = req.path.get("userId") if user_id is None else user_id
    user = find_user(req.store, uid)
    if user is None:
        raise user_not_found(req.action, uid)
    return user


@handles("ZOOM_GET_A_USER")
def get_user(req: Req):
    return resolve_user(req)


@handles("ZOOM_LIST_USERS")
def list_users(req: Req):
    status = req.q("status", "active")
    role_id = req.query.get("role_id")
    users = [u for u in req.store.list("user")
             if u.get("status") == status and (role_id is None or u.get("role_id") == str(role_id))]
    return page(req, users, "users", extra_scope=f"{status}|{role_id}")


@handles("ZOOM_CREATE_USERS")
def create_user(req: Req):
    body = req.body or {}
    info = body.get("user_info") or {}
    email = info.get("email")
    if not email:
        raise validation_failed([{"field": "user_info.email", "message": "This field is required."}])
    if find_user(req.store, email) is not None:
        raise documented(req.action, 409, 1005, 'Email "$email" has already been used.', email=email)
    action = body.get("action", "create")
    rng = random.Random()
    user = new_user(rng, first=info.get("first_name", ""), last=info.get("last_name", ""), email=email,
                    type_=info.get("type", 1), status="pending" if action == "create" else "active")
    if info.get("display_name"):
        user["display_name"] = info["display_name"]
    req.store.put("user", user["id"], user)
    return Reply({k: user[k] for k in ("id", "first_name", "last_name", "email", "type")}, status=201)


_UPDATABLE = {"first_name", "last_name", "display_name", "type", "pmi", "use_pmi", "timezone", "language",
              "dept", "job_title", "company", "location", "phone_number", "phone_country", "cost_center",
              "manager", "pronouns", "pronouns_option", "vanity_name", "host_key", "plan_united_type",
              "group_id", "cms_user_id"}


@handles("ZOOM_UPDATE_A_USER")
def update_user(req: Req):
    user = resolve_user(req)
    for k, v in (req.body or {}).items():
        if k in _UPDATABLE:
            user[k] = v
    if req.body and ("first_name" in req.body or "last_name" in req.body) and "display_name" not in req.body:
        user["display_name"] = f"{user.get('first_name', '')} {user.get('last_name', '')}".strip()
    req.store.put("user", user["id"], user)
    return None


@handles("ZOOM_DELETE_A_USER")
def delete_user(req: Req):
    user = resolve_user(req)
    if user["id"] == me(req.store)["id"]:
        raise ZoomError(400, 200, "Cannot delete the account owner.")
    req.store.delete("user", user["id"])
    return None


@handles("ZOOM_UPDATE_USER_STATUS")
def update_user_status(req: Req):
    user = resolve_user(req)
    action = (req.body or {}).get("action")
    if action == "activate":
        user["status"] = "active"
    elif action == "deactivate":
        if user["id"] == me(req.store)["id"]:
            raise ZoomError(400, 200, "Cannot deactivate the account owner.")
        user["status"] = "inactive"
    req.store.put("user", user["id"], user)
    return None
