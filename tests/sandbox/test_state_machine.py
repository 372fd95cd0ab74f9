"""Random sequences of create / get / update / delete / list on meetings,
webinars and their registrants, checked against a simple model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule

KINDS = {
    "meeting": {"create": "/users/me/meetings", "base": "/meetings", "type": 2, "list": "meetings",
                "filters": ("scheduled", "upcoming", "upcoming_meetings", "previous_meetings"),
                "closed": (400, 300)},
    "webinar": {"create": "/users/me/webinars", "base": "/webinars", "type": 5, "list": "webinars",
                "filters": ("scheduled", "upcoming"), "closed": (400, 3000)},
}
EMAILS = ["ana@example.com", "bo@example.com", "cy@example.org", "di@example.net"]
NOW = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)


def _at(days: int) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Doc:
    kind: str
    topic: str
    start: str
    duration: int
    approval: int
    registrants: dict[str, dict] = field(default_factory=dict)  # id -> {email, status}

    def upcoming(self) -> bool:
        return self.start > _at(0)


topics = st.text(alphabet="abcdefghij XYZ", min_size=1, max_size=12)
offsets = st.one_of(st.integers(-30, -2), st.integers(2, 30))
kinds = st.sampled_from(sorted(KINDS))


class SandboxMachine(RuleBasedStateMachine):
    docs = Bundle("docs")
    regs = Bundle("regs")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[tuple[str, int], Doc] = {}
        self.gone: set[tuple[str, int]] = set()

    @initialize()
    def fresh(self) -> None:
        SANDBOX.reset()

    # --- meetings and webinars -------------------------------------------------------

    @rule(target=docs, kind=kinds, topic=topics, offset=offsets, duration=st.integers(15, 120),
          approval=st.sampled_from([0, 1, 2]))
    def create(self, kind, topic, offset, duration, approval):
        k = KINDS[kind]
        r = CLIENT.post(k["create"], json={"topic": topic, "type": k["type"], "start_time": _at(offset),
                                           "duration": duration, "settings": {"approval_type": approval}})
        assert r.status_code == 201, r.text
        key = (kind, r.json()["id"])
        self.model[key] = Doc(kind, topic, _at(offset), duration, approval)
        return key

    @rule(key=docs)
    def get(self, key):
        kind, i = key
        r = CLIENT.get(f"{KINDS[kind]['base']}/{i}")
        if key in self.model:
            d, body = self.model[key], r.json()
            assert r.status_code == 200
            assert (body["topic"], body["start_time"], body["duration"]) == (d.topic, d.start, d.duration)
            assert body["settings"]["approval_type"] == d.approval
        else:
            assert r.status_code == 404 and r.json()["code"] == 3001

    @rule(key=docs, topic=st.none() | topics, offset=st.none() | offsets, approval=st.none() | st.sampled_from([0, 1, 2]))
    def update(self, key, topic, offset, approval):
        kind, i = key
        body = {}
        if topic is not None:
            body["topic"] = topic
        if offset is not None:
            body["start_time"] = _at(offset)
        if approval is not None:
            body["settings"] = {"approval_type": approval}
        r = CLIENT.patch(f"{KINDS[kind]['base']}/{i}", json=body)
        if key not in self.model:
            assert r.status_code == 404 and r.json()["code"] == 3001
            return
        assert r.status_code == 204 and r.content == b""
        d = self.model[key]
        d.topic = topic if topic is not None else d.topic
        d.start = _at(offset) if offset is not None else d.start
        d.approval = approval if approval is not None else d.approval

    @rule(key=docs)
    def delete(self, key):
        kind, i = key
        r = CLIENT.delete(f"{KINDS[kind]['base']}/{i}")
        if key in self.model:
            assert r.status_code == 204
            del self.model[key]
            self.gone.add(key)
        else:
            assert r.status_code == 404 and r.json()["code"] == 3001

    @rule(kind=kinds, data=st.data())
    def list(self, kind, data):
        k = KINDS[kind]
        filt = data.draw(st.sampled_from(k["filters"]))
        r = CLIENT.get(k["create"], params={"type": filt, "page_size": 300})
        assert r.status_code == 200
        seen = {x["id"] for x in r.json()[k["list"]]}
        mine = {i for (kd, i) in self.model if kd == kind} | {i for (kd, i) in self.gone if kd == kind}
        want = {i for (kd, i), d in self.model.items() if kd == kind and (
            filt == "scheduled" or (d.upcoming() if filt.startswith("upcoming") else not d.upcoming()))}
        assert seen & mine == want

    # --- registrants -------------------------------------------------------------------

    @rule(target=regs, key=docs, email=st.sampled_from(EMAILS), name=topics)
    def register(self, key, email, name):
        kind, i = key
        r = CLIENT.post(f"{KINDS[kind]['base']}/{i}/registrants", json={"email": email, "first_name": name})
        if key not in self.model:
            assert r.status_code == 404 and r.json()["code"] == 3001
            return (key, "none")
        d = self.model[key]
        if d.approval == 2:
            assert (r.status_code, r.json()["code"]) == KINDS[kind]["closed"]
            return (key, "none")
        assert r.status_code == 201, r.text
        rid = r.json()["registrant_id"]
        existing = [x for x, v in d.registrants.items() if v["email"] == email]
        if existing:
            assert rid == existing[0]
        else:
            d.registrants[rid] = {"email": email, "status": "approved" if d.approval == 0 else "pending"}
        return (key, rid)

    @rule(reg=regs)
    def get_registrant(self, reg):
        key, rid = reg
        kind, i = key
        r = CLIENT.get(f"{KINDS[kind]['base']}/{i}/registrants/{rid}")
        if key not in self.model:
            assert r.status_code == 404 and r.json()["code"] == 3001
        elif rid in self.model[key].registrants:
            assert r.status_code == 200
            want = self.model[key].registrants[rid]
            assert (r.json()["email"], r.json()["status"]) == (want["email"], want["status"])
        else:
            assert r.json()["code"] == 3079

    @rule(reg=regs)
    def delete_registrant(self, reg):
        key, rid = reg
        kind, i = key
        r = CLIENT.delete(f"{KINDS[kind]['base']}/{i}/registrants/{rid}")
        if key in self.model and rid in self.model[key].registrants:
            assert r.status_code == 204
            del self.model[key].registrants[rid]
        else:
            assert r.status_code in (400, 404)

    @rule(reg=regs, action=st.sampled_from(["approve", "deny"]))
    def set_status(self, reg, action):
        key, rid = reg
        kind, i = key
        r = CLIENT.put(f"{KINDS[kind]['base']}/{i}/registrants/status",
                       json={"action": action, "registrants": [{"id": rid}]})
        if key not in self.model:
            assert r.status_code == 404
            return
        d = self.model[key]
        if d.approval == 2:
            assert r.status_code == 400
            return
        assert r.status_code == 204
        if rid in d.registrants:
            d.registrants[rid]["status"] = "approved" if action == "approve" else "denied"

    @rule(key=docs, status=st.sampled_from(["approved", "pending", "denied"]))
    def list_registrants(self, key, status):
        kind, i = key
        r = CLIENT.get(f"{KINDS[kind]['base']}/{i}/registrants", params={"status": status, "page_size": 300})
        if key not in self.model:
            assert r.status_code == 404
            return
        got = [x["id"] for x in r.json()["registrants"]]
        assert got == [x for x, v in self.model[key].registrants.items() if v["status"] == status]


SANDBOX = None
CLIENT = None


@pytest.fixture(scope="module", autouse=True)
def _server(catalog):
    global SANDBOX, CLIENT
    from zoom_actions.sandbox import start_in_thread
    SANDBOX = start_in_thread(catalog=catalog)
    CLIENT = httpx.Client(base_url=SANDBOX.base_url, headers={"Authorization": "Bearer sandbox"}, timeout=10)
    yield
    CLIENT.close()
    SANDBOX.close()


SandboxMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
test_sandbox_matches_the_model = SandboxMachine.TestCase
