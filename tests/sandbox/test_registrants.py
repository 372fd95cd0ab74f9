"""Meeting and webinar registrants: registration rules, statuses, paging."""

from __future__ import annotations


def _meeting(client, approval_type=0, type_=2):
    r = client.post("/users/me/meetings", json={"topic": "Town hall", "type": type_, "start_time": "2031-05-01T16:00:00Z",
                                                "settings": {"approval_type": approval_type}})
    assert r.status_code == 201, r.text
    return r.json()


def test_registration_must_be_enabled(client):
    m = _meeting(client, approval_type=2)
    r = client.post(f"/meetings/{m['id']}/registrants", json={"email": "a@example.com", "first_name": "A"})
    assert r.status_code == 400
    assert r.json() == {"code": 300, "message": f"Registration has not been enabled for this meeting: {m['id']}."}
    assert "registration_url" not in m
    # enabling it by update opens registration
    assert client.patch(f"/meetings/{m['id']}", json={"settings": {"approval_type": 0}}).status_code == 204
    r = client.post(f"/meetings/{m['id']}/registrants", json={"email": "a@example.com", "first_name": "A"})
    assert r.status_code == 201


def test_add_get_list_delete(client):
    m = _meeting(client)
    r = client.post(f"/meetings/{m['id']}/registrants", json={"email": "kai@example.com", "first_name": "Kai",
                                                             "last_name": "Li", "org": "Example"})
    assert r.status_code == 201
    added = r.json()
    assert added["id"] == m["id"] and added["topic"] == "Town hall"
    assert added["join_url"].startswith(f"https://us05web.zoom.us/w/{m['id']}?tk=")
    rid = added["registrant_id"]
    got = client.get(f"/meetings/{m['id']}/registrants/{rid}").json()
    assert got["email"] == "kai@example.com" and got["status"] == "approved" and got["org"] == "Example"
    listed = client.get(f"/meetings/{m['id']}/registrants").json()
    assert [x["id"] for x in listed["registrants"]] == [rid] and listed["total_records"] == 1
    # the same email again answers the same registration
    again = client.post(f"/meetings/{m['id']}/registrants", json={"email": "KAI@example.com", "first_name": "K"})
    assert again.json()["registrant_id"] == rid
    assert client.delete(f"/meetings/{m['id']}/registrants/{rid}").status_code == 204
    r = client.get(f"/meetings/{m['id']}/registrants/{rid}")
    assert r.status_code == 404 and r.json() == {"code": 3079, "message": f"This registrant does not exist: {rid}."}


def test_missing_required_registrant_fields(client):
    m = _meeting(client)
    r = client.post(f"/meetings/{m['id']}/registrants", json={"last_name": "Only"})
    assert r.status_code == 400
    assert r.json() == {"code": 300, "message": "Validation Failed.", "errors": [
        {"field": "email", "message": "This field is required."},
        {"field": "first_name", "message": "This field is required."}]}
    r = client.post(f"/meetings/{m['id']}/registrants")
    assert r.status_code == 400 and {e["field"] for e in r.json()["errors"]} == {"email", "first_name"}


def test_manual_approval_and_status_changes(client):
    m = _meeting(client, approval_type=1)
    ids = [client.post(f"/meetings/{m['id']}/registrants", json={"email": f"p{i}@example.com", "first_name": f"P{i}"})
           .json()["registrant_id"] for i in range(3)]

    def status(s):
        return [x["id"] for x in client.get(f"/meetings/{m['id']}/registrants", params={"status": s}).json()["registrants"]]

    assert status("pending") == ids and status("approved") == []
    r = client.put(f"/meetings/{m['id']}/registrants/status",
                   json={"action": "approve", "registrants": [{"id": ids[0]}, {"email": "p1@example.com"}]})
    assert r.status_code == 204
    assert status("approved") == ids[:2] and status("pending") == ids[2:]
    client.put(f"/meetings/{m['id']}/registrants/status", json={"action": "deny", "registrants": [{"id": ids[2]}]})
    client.put(f"/meetings/{m['id']}/registrants/status", json={"action": "cancel", "registrants": [{"id": ids[0]}]})
    assert status("denied") == [ids[0], ids[2]] and status("approved") == [ids[1]]
    r = client.put(f"/meetings/{m['id']}/registrants/status", json={"action": "maybe"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "action"


def test_registrant_paging(client):
    m = _meeting(client)
    for i in range(5):
        client.post(f"/meetings/{m['id']}/registrants", json={"email": f"r{i}@example.com", "first_name": "R"})
    first = client.get(f"/meetings/{m['id']}/registrants", params={"page_size": 2}).json()
    assert len(first["registrants"]) == 2 and first["total_records"] == 5 and first["page_count"] == 3
    second = client.get(f"/meetings/{m['id']}/registrants",
                        params={"page_size": 2, "next_page_token": first["next_page_token"]}).json()
    assert {x["id"] for x in first["registrants"]}.isdisjoint(x["id"] for x in second["registrants"])
    legacy = client.get(f"/meetings/{m['id']}/registrants", params={"page_size": 2, "page_number": 3}).json()
    assert len(legacy["registrants"]) == 1 and legacy["page_number"] == 3


def test_seeded_registrants_and_webinar_registration(client, seed):
    mid = seed["registration_meeting"]
    pending = client.get(f"/meetings/{mid}/registrants", params={"status": "pending"}).json()["registrants"]
    assert [r["email"] for r in pending] == ["ines.moreau@example.org"]
    wid = seed["registration_webinar"]
    r = client.post(f"/webinars/{wid}/registrants", json={"email": "zoe@example.com", "first_name": "Zoe"})
    assert r.status_code == 201
    rid = r.json()["registrant_id"]
    assert client.get(f"/webinars/{wid}/registrants/{rid}").json()["status"] == "approved"
    assert len(client.get(f"/webinars/{wid}/registrants").json()["registrants"]) == 3
    closed = client.post("/users/me/webinars", json={"topic": "No registration", "type": 5}).json()["id"]
    r = client.post(f"/webinars/{closed}/registrants", json={"email": "zoe@example.com", "first_name": "Zoe"})
    assert r.status_code == 400
    assert r.json() == {"code": 3000, "message": f"This webinar does not have registration as required: {closed}."}


def test_registrants_of_a_deleted_meeting_are_gone(client):
    m = _meeting(client)
    rid = client.post(f"/meetings/{m['id']}/registrants", json={"email": "x@example.com", "first_name": "X"}) \
        .json()["registrant_id"]
    client.delete(f"/meetings/{m['id']}")
    r = client.get(f"/meetings/{m['id']}/registrants/{rid}")
    assert r.status_code == 404 and r.json()["code"] == 3001
